import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'happy-dom',
    environmentOptions: { happyDOM: { url: 'https://shop.example/products/p-1?ref=home' } },
    include: ['test/**/*.test.ts'],
    testTimeout: 10000,
  },
});
