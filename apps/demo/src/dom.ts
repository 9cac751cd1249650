/** A few lines of DOM building so the views read like the markup they produce. */
export type Child = Node | string | number | null | undefined | false;

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from index.html`);
  return node as T;
}

/** A yes/no badge. */
export function badge(ok: boolean, text = ok ? 'yes' : 'no'): HTMLElement {
  return element('span', { class: `badge ${ok ? 'yes' : 'no'}` }, text);
}

/** A definition list of label → value rows. */
export function facts(rows: [string, Child][]): HTMLDListElement {
  const list = element('dl', { class: 'facts' });
  for (const [label, value] of rows) append(list, [element('dt', {}, label), element('dd', {}, value)]);
  return list;
}

/** Gives the browser a chance to paint between long synchronous steps. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Scientific notation short enough for a table cell. */
export function formatError(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  return value.toExponential(1);
}
