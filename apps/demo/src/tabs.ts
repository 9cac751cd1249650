import { byId } from './dom.js';

/**
 * Three tabs, Kernels, Chat and Train: buttons with data-tab, panels with data-panel. The hash (#chat, #train) picks
 * the tab on load, so a link can open the chat directly.
 */
export function setupTabs(): void {
  const buttons = [...document.querySelectorAll<HTMLButtonElement>('[data-tab]')];
  const show = (name: string) => {
    for (const button of buttons) button.setAttribute('aria-selected', String(button.dataset.tab === name));
    for (const panel of document.querySelectorAll<HTMLElement>('[data-panel]')) panel.hidden = panel.dataset.panel !== name;
    byId('tabs').dataset.active = name;
  };
  for (const button of buttons) {
    button.addEventListener('click', () => {
      show(button.dataset.tab!);
      history.replaceState(null, '', `${location.search}#${button.dataset.tab}`);
    });
  }
  const fromHash = location.hash.slice(1);
  show(buttons.some((button) => button.dataset.tab === fromHash) ? fromHash : 'kernels');
}
