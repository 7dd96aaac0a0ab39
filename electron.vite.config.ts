import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

const shared = fileURLToPath(new URL('./src-shared', import.meta.url));
const alias = { '@shared': shared };

/**
 * The project's own folders (src-main, src-renderer, src-shared) instead of electron-vite's
 * src/main, src/preload, src/renderer. `main` builds two Node entries: the Electron main process
 * (out/main/index.js) and the headless CLI (out/main/cli.js) that `bin/tcplab.js` runs; the worker
 * threads the stack and the sessions start are entries of their own.
 */
export default defineConfig({
  main: {
    resolve: { alias },
    build: {
      outDir: 'out/main',
      lib: {
        entry: {
          index: 'src-main/electron/main.ts',
          cli: 'src-main/cli/main.ts',
          'session-worker': 'src-main/transport/session-worker.ts',
        },
        formats: ['es'],
      },
      rolldownOptions: {
        output: { entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      outDir: 'out/preload',
      // A sandboxed preload must be one CommonJS file with nothing left to require but electron.
      externalizeDeps: false,
      lib: { entry: { index: 'src-main/electron/preload.ts' }, formats: ['cjs'] },
      rolldownOptions: {
        external: ['electron'],
        output: { entryFileNames: '[name].cjs', format: 'cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    resolve: { alias },
    plugins: [vue()],
    build: {
      outDir: 'out/renderer',
      emptyOutDir: true,
      rolldownOptions: {
        input: { index: fileURLToPath(new URL('./src-renderer/index.html', import.meta.url)) },
      },
    },
  },
});
