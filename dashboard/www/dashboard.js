// Tell the server the page's address: chart widgets import their shared script by absolute
// URL (see figure_widget_class in dashboard/app.py), so the browser compiles it only once.
$(document).on("shiny:connected", function () {
  Shiny.setInputValue("page_url", window.location.href.split("#")[0]);
});

// On a phone the page list is a drop-down menu: fold it away once a page is chosen (after
// its opening animation, if the tap came quicker than that: Bootstrap ignores it meanwhile).
$(document).on("shown.bs.tab", ".navbar a[data-bs-toggle='tab']", function () {
  const menu = document.querySelector(".navbar-collapse.show, .navbar-collapse.collapsing");
  if (!menu) return;
  const fold = () => bootstrap.Collapse.getOrCreateInstance(menu).hide();
  if (menu.classList.contains("collapsing")) {
    menu.addEventListener("shown.bs.collapse", fold, { once: true });
  } else {
    fold();
  }
});
