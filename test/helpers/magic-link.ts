/** "Clicks" an emulated magic link the way a browser would: open the page, then submit its form. */
export async function followMagicLink(url: string): Promise<Response> {
  const page = await fetch(url);
  if (page.status !== 200) throw new Error(`magic link page answered ${page.status}`);
  const action = /action="([^"]+)"/.exec(await page.text())?.[1];
  if (!action) throw new Error('magic link page has no form');
  return fetch(new URL(action, url), { method: 'POST', redirect: 'manual' });
}
