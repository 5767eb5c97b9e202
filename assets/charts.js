/* The charts' clientside helpers (an asset, not an inline script: the Content-Security-Policy
   allows scripts from the dashboard's own origin only). */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  charts: {
    /* The window's width in px, read once when the page is drawn: the trends page picks how many
       panel columns fit (dashboard/pages/trends.py columns_for). */
    width: function () { return window.innerWidth; }
  }
});
