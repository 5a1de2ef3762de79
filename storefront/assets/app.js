// The demo shop's pages, rendered from the catalogue, and their instrumentation with the
// clickstream SDK. Each page load records exactly one page view (a listing or product view
// where it is one), plus `search` on results and `checkout` on the checkout page.
(function () {
  'use strict';
  const shop = window.SHOP;
  const sdk = window.clickstream;
  const config = window.CLICKSTREAM_CONFIG;
  const CART_KEY = 'byte-corner-cart';
  const ORDER_KEY = 'byte-corner-order';
  const params = new URLSearchParams(location.search);
  const main = document.getElementById('main');

  const money = (amount) =>
    new Intl.NumberFormat('en-US', { style: 'currency', currency: shop.currency }).format(amount);
  const byId = (id) => shop.products.find((product) => product.product_id === id);
  const category = (id) => shop.categories.find((item) => item.id === id);
  const ecom = (product) => ({ ...product, currency: shop.currency });

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value);
    }
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  // A product "photo": the brand on the category's colour (no image files to ship).
  function art(product, size) {
    const style = `background: ${category(product.category).color}`;
    return element('span', { class: `art ${size || ''}`, style }, product.brand);
  }

  // ---- cart (the shop's own storage, not the SDK's) ----

  function readCart() {
    try {
      return JSON.parse(localStorage.getItem(CART_KEY)) || [];
    } catch {
      return [];
    }
  }

  function writeCart(lines) {
    localStorage.setItem(CART_KEY, JSON.stringify(lines));
    const count = lines.reduce((sum, line) => sum + line.qty, 0);
    document.getElementById('cart-count').textContent = String(count);
  }

  function addLine(productId, qty) {
    const lines = readCart();
    const line = lines.find((item) => item.product_id === productId);
    if (line) line.qty += qty;
    else lines.push({ product_id: productId, qty });
    writeCart(lines);
  }

  // ---- layout ----

  function header() {
    const nav = element(
      'nav',
      { class: 'categories', 'aria-label': 'Categories' },
      ...shop.categories.map((item) =>
        element('a', { href: `/category.html?c=${item.id}` }, item.name),
      ),
    );
    const search = element(
      'form',
      { class: 'search', action: '/search.html', method: 'get', role: 'search' },
      element('input', {
        type: 'search',
        name: 'q',
        placeholder: 'Search laptops, monitors…',
        'aria-label': 'Search',
        value: params.get('q') || '',
      }),
      element('button', { type: 'submit' }, 'Search'),
    );
    const cart = element(
      'a',
      { href: '/cart.html', class: 'cart-link' },
      'Cart (',
      element('span', { id: 'cart-count' }, '0'),
      ')',
    );
    document.body.prepend(
      element(
        'header',
        {},
        element('div', { class: 'bar' }, element('a', { href: '/', class: 'logo' }, shop.name), search, cart),
        nav,
      ),
    );
    writeCart(readCart());
  }

  function tiles(products, list) {
    return element(
      'ul',
      { class: 'tiles', 'data-list': list },
      ...products.map((product) =>
        element(
          'li',
          { class: 'tile' },
          element(
            'a',
            {
              href: `/product.html?id=${product.product_id}`,
              'data-product-id': product.product_id,
              onclick: () => sdk.productClick(ecom(product), list),
            },
            art(product),
            element('span', { class: 'name' }, product.product_name),
            element('span', { class: 'price' }, money(product.price)),
          ),
        ),
      ),
    );
  }

  function listing(title, products, list, extra) {
    document.title = `${title} | ${shop.name}`;
    main.append(element('h1', {}, title));
    if (!products.length) main.append(element('p', { class: 'empty' }, 'No products found.'));
    else main.append(tiles(products, list));
    sdk.listView(
      list,
      products.map((product) => product.product_id),
      extra,
    );
  }

  // ---- pages ----

  const pages = {
    home() {
      listing('Computers & accessories', shop.products.slice(0, 8), 'home');
    },

    category() {
      const item = category(params.get('c')) || shop.categories[0];
      listing(
        item.name,
        shop.products.filter((product) => product.category === item.id),
        `category:${item.id}`,
      );
    },

    search() {
      const query = (params.get('q') || '').trim();
      const words = query.toLowerCase().split(/\s+/).filter(Boolean);
      const results = shop.products.filter((product) => {
        const text = `${product.product_name} ${product.category} ${product.brand}`.toLowerCase();
        return words.length > 0 && words.every((word) => text.includes(word));
      });
      if (query) sdk.search(query, results.length);
      listing(query ? `Results for “${query}”` : 'Search', results, 'search');
    },

    product() {
      const product = byId(params.get('id'));
      if (!product) {
        document.title = `Not found | ${shop.name}`;
        main.append(element('h1', {}, 'Product not found'));
        sdk.page();
        return;
      }
      document.title = `${product.product_name} | ${shop.name}`;
      const qty = element(
        'select',
        { id: 'qty', 'aria-label': 'Quantity' },
        ...[1, 2, 3, 4, 5].map((n) => element('option', { value: n }, String(n))),
      );
      const status = element('p', { id: 'added', class: 'status', role: 'status' });
      main.append(
        element(
          'article',
          { class: 'product' },
          art(product, 'big'),
          element(
            'div',
            {},
            element('h1', {}, product.product_name),
            element('p', { class: 'brand' }, `${product.brand} · ${category(product.category).name}`),
            element('p', { class: 'price' }, money(product.price)),
            element(
              'div',
              { class: 'buy' },
              qty,
              element(
                'button',
                {
                  id: 'add-to-cart',
                  onclick: () => {
                    const count = Number(qty.value);
                    addLine(product.product_id, count);
                    sdk.addToCart(ecom(product), count);
                    status.replaceChildren(
                      `Added ${count} to your cart. `,
                      element('a', { href: '/cart.html' }, 'View cart'),
                    );
                  },
                },
                'Add to cart',
              ),
            ),
            status,
          ),
        ),
      );
      sdk.productView(ecom(product));
    },

    cart() {
      document.title = `Cart | ${shop.name}`;
      main.append(element('h1', {}, 'Your cart'));
      const holder = element('div', { id: 'cart' });
      main.append(holder);
      const render = () => {
        const lines = readCart();
        if (!lines.length) {
          holder.replaceChildren(element('p', { class: 'empty' }, 'Your cart is empty.'));
          return;
        }
        const total = lines.reduce((sum, line) => sum + byId(line.product_id).price * line.qty, 0);
        holder.replaceChildren(
          element(
            'table',
            { class: 'lines' },
            ...lines.map((line) => {
              const product = byId(line.product_id);
              return element(
                'tr',
                { 'data-product-id': product.product_id },
                element('td', {}, product.product_name),
                element('td', {}, `× ${line.qty}`),
                element('td', {}, money(product.price * line.qty)),
                element(
                  'td',
                  {},
                  element(
                    'button',
                    {
                      class: 'remove',
                      onclick: () => {
                        writeCart(readCart().filter((item) => item.product_id !== product.product_id));
                        sdk.removeFromCart(ecom(product), line.qty);
                        render();
                      },
                    },
                    'Remove',
                  ),
                ),
              );
            }),
          ),
          element('p', { class: 'total' }, `Total: ${money(total)}`),
          element('a', { href: '/checkout.html', class: 'button', id: 'to-checkout' }, 'Checkout'),
        );
      };
      render();
      sdk.page();
    },

    checkout() {
      document.title = `Checkout | ${shop.name}`;
      main.append(element('h1', {}, 'Checkout'));
      const lines = readCart();
      sdk.page();
      if (!lines.length) {
        main.append(element('p', { class: 'empty' }, 'Your cart is empty.'));
        return;
      }
      // One order id per checkout attempt, kept if the visitor reloads the page.
      let orderId = sessionStorage.getItem(ORDER_KEY);
      if (!orderId) {
        orderId = `ORD-${Date.now().toString(36).toUpperCase()}-${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
        sessionStorage.setItem(ORDER_KEY, orderId);
      }
      sdk.checkout(
        orderId,
        lines.map((line) => line.product_id),
      );
      const field = (label, name, type) =>
        element('label', {}, label, element('input', { name, type, required: '', autocomplete: 'off' }));
      // Personal details stay in the page: they are never given to the SDK.
      const form = element(
        'form',
        {
          id: 'checkout-form',
          onsubmit: (event) => {
            event.preventDefault();
            if (!form.reportValidity()) return;
            sdk.purchase(
              orderId,
              readCart().map((line) => ({ ...ecom(byId(line.product_id)), qty: line.qty })),
            );
            writeCart([]);
            sessionStorage.removeItem(ORDER_KEY);
            location.assign(`/thank-you.html?order=${encodeURIComponent(orderId)}`);
          },
        },
        field('Full name', 'name', 'text'),
        field('E-mail', 'email', 'email'),
        field('Shipping address', 'address', 'text'),
        element('button', { type: 'submit', id: 'place-order' }, 'Place order'),
      );
      main.append(element('p', { class: 'order' }, `Order ${orderId}`), form);
    },

    thanks() {
      document.title = `Thank you | ${shop.name}`;
      main.append(
        element('h1', {}, 'Thank you for your order!'),
        element('p', { id: 'order-id' }, `Order ${params.get('order') || ''}`),
        element('a', { href: '/', class: 'button' }, 'Continue shopping'),
      );
      sdk.page();
    },
  };

  // Without a collector configured (e.g. the files opened from disk) the shop still works.
  if (config && config.endpoint) {
    sdk.init({ endpoint: config.endpoint, writeKey: config.writeKey || undefined });
  }
  header();
  pages[document.body.dataset.page]();
})();
