/**
 * True when nothing on the page has focus: the focused control was just removed (a panel folded, a button
 * replaced), so a keyboard user would have to start again from the top unless focus is put somewhere.
 */
export function focusWasDropped(): boolean {
  return document.activeElement === null || document.activeElement === document.body;
}
