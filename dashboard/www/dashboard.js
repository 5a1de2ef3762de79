// Tell the server the page's address: chart widgets import their shared script by absolute
// URL (see figure_widget_class in dashboard/app.py), so the browser compiles it only once.
$(document).on("shiny:connected", function () {
  Shiny.setInputValue("page_url", window.location.href.split("#")[0]);
});
