import type en from './en';

const zhCN: typeof en = {
  app: { title: 'tcplab', tagline: '看见 TCP/IP 的运作' },
  sidebar: {
    sources: '数据源',
    sessions: '会话',
    demo: '示例抓包',
    openDemo: '打开示例',
    noSessions: '还没有会话。打开示例，看一条 TCP 连接从 SYN 到 FIN 的全过程。',
  },
  tabs: {
    packets: '数据包',
    ladder: '时序图',
    window: '滑动窗口',
    congestion: '拥塞控制',
    stateMachine: '状态机',
  },
  packets: {
    no: '序号',
    time: '时间',
    source: '源地址',
    destination: '目的地址',
    protocol: '协议',
    length: '长度',
    info: '信息',
    empty: '还没有数据包。在左侧选择一个数据源：示例抓包可以直接打开。',
    details: '数据包详情',
    bytes: '字节',
    selectHint: '选择一个数据包，查看它的字段和字节。',
  },
  empty: {
    ladder: '这里显示 TCP 会话的时序（梯形）图。先打开抓包文件或实验，再选择一个会话。',
    window: '这里以动画显示实验或 tcplab 自身协议栈中 TCP 会话的滑动窗口。',
    congestion: '这里显示实验或含 TCP 流量的抓包的拥塞窗口曲线。',
    stateMachine: '连接状态变化时，这里的 RFC 9293 状态图会随之点亮。',
  },
  status: {
    source: '数据源',
    packets: '数据包',
    drops: '丢弃',
    rate: '速率',
    perSecond: '{n}/秒',
    none: '无',
    state: {
      starting: '启动中',
      running: '运行中',
      paused: '已暂停',
      done: '已完成',
      error: '出错',
      closed: '已关闭',
    },
  },
  settings: { language: '语言', theme: '主题', light: '浅色', dark: '深色' },
  errors: { backend: '无法连接 tcplab 后端：{message}' },
};

export default zhCN;
