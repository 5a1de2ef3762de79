// The IIFE's entry: the public functions as one plain `window.clickstream` object (a
// namespace re-export would cost esbuild's getter wrapper, a tenth of the size budget).
import {
  addToCart,
  checkout,
  consent,
  flush,
  identify,
  init,
  listView,
  overflowCount,
  page,
  productClick,
  productView,
  purchase,
  removeFromCart,
  search,
  track,
} from './index';

(window as unknown as { clickstream: object }).clickstream = {
  init,
  consent,
  identify,
  page,
  track,
  listView,
  productClick,
  productView,
  search,
  addToCart,
  removeFromCart,
  checkout,
  purchase,
  flush,
  overflowCount,
};
