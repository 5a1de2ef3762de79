// Prints, as JSON, the events a built ESM bundle sends when every helper is called once on
// a product page. The Python tests validate them with the contract (`ClientEvent`).
// `node scripts/sample-events.mjs path/to/clickstream.esm.js`
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Window } from 'happy-dom';

const page = new Window({ url: 'https://shop.example/product.html?id=LAP-AERO14&utm_source=mail' });
page.document.title = 'Aero 14 Ultrabook | Byte Corner';
for (const name of ['window', 'document', 'navigator', 'location', 'localStorage', 'history']) {
  Object.defineProperty(globalThis, name, { configurable: true, value: page[name] });
}
globalThis.addEventListener = page.addEventListener.bind(page);
const sent = [];
globalThis.fetch = async (_url, init) => {
  sent.push(...JSON.parse(init.body).events);
  return new Response(null, { status: 202 });
};

const sdk = await import(pathToFileURL(resolve(process.argv[2])).href);
const laptop = {
  product_id: 'LAP-AERO14',
  product_name: 'Aero 14 Ultrabook',
  category: 'laptops',
  brand: 'Aero',
  currency: 'USD',
  price: 1299,
};
const mouse = { product_id: 'MOU-GLIDE', product_name: 'Glide Wireless Mouse', price: 29, currency: 'USD' };
sdk.init({ endpoint: 'https://collector.example/v1/events', batchSize: 100 });
sdk.identify('customer-7');
sdk.page({ section: 'landing' });
sdk.listView('home', ['LAP-AERO14', 'MOU-GLIDE']);
sdk.productClick(laptop, 'home');
sdk.productView(laptop);
sdk.search('gaming laptop', 2);
sdk.addToCart(laptop, 2);
sdk.removeFromCart(laptop, 1);
sdk.checkout('ORD-1', ['LAP-AERO14', 'MOU-GLIDE']);
sdk.purchase('ORD-1', [{ ...laptop, qty: 1 }, mouse]);
sdk.track('click', { props: { element: 'newsletter-signup' } });
sdk.flush();
await new Promise((done) => setTimeout(done, 50));
process.stdout.write(JSON.stringify(sent));
await page.happyDOM.close();
