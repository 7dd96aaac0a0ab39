import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { i18n, rememberLocale, type Locale } from '../i18n';

export type Theme = 'light' | 'dark';
const THEME_KEY = 'tcplab.theme';

function initialTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Language and theme, switchable at any time and remembered across runs. */
export const useSettingsStore = defineStore('settings', () => {
  const locale = ref<Locale>(i18n.global.locale.value as Locale);
  const theme = ref<Theme>(initialTheme());

  watch(
    locale,
    (l) => {
      i18n.global.locale.value = l;
      rememberLocale(l);
    },
    { immediate: true },
  );
  watch(
    theme,
    (t) => {
      document.documentElement.dataset.theme = t;
      localStorage.setItem(THEME_KEY, t);
    },
    { immediate: true },
  );

  return { locale, theme };
});
