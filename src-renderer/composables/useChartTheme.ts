import { computed } from 'vue';
import { useSettingsStore } from '../stores/settings';
import { DEFAULT_THEME, type ChartTheme } from '../charts/options';

/** Chart colours from the CSS variables of the current theme (light/dark), never hard-coded per view. */
export function useChartTheme() {
  const settings = useSettingsStore();
  return computed<ChartTheme>(() => {
    void settings.theme;
    const css = getComputedStyle(document.documentElement);
    const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    const dark = settings.theme === 'dark';
    return {
      fg: v('--fg', DEFAULT_THEME.fg),
      muted: v('--fg-muted', DEFAULT_THEME.muted),
      grid: v('--border', DEFAULT_THEME.grid),
      danger: v('--danger', DEFAULT_THEME.danger),
      warn: dark ? '#f0b429' : DEFAULT_THEME.warn,
      accent: v('--accent', DEFAULT_THEME.accent),
      palette: dark ? ['#4c9aff', '#ff7b72', '#56d364', '#d2a8ff', '#ffa657', '#39c5cf', '#e3b341', '#f778ba'] : DEFAULT_THEME.palette,
    };
  });
}
