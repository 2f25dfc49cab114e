// Live progress of a report batch (progressive enhancement: the page is complete without it): polls the batch's
// JSON every second while it runs, then reloads once to show the download and the failures.
(function () {
  document.addEventListener('DOMContentLoaded', function () {
    var el = document.querySelector('.batch-progress[data-batch-url]');
    if (!el) return;
    var s = el.getAttribute('data-status');
    if (s !== 'running' && s !== 'zipping') return;
    var fmt = new Intl.NumberFormat(document.documentElement.lang === 'en' ? 'en-US' : 'vi-VN');
    function set(sel, v) { var x = el.querySelector(sel); if (x) x.textContent = v; }
    function poll() {
      fetch(el.getAttribute('data-batch-url'), { headers: { Accept: 'application/json' } })
        .then(function (r) { return r.json(); })
        .then(function (b) {
          var fill = el.querySelector('.progress-fill');
          if (fill) fill.className = 'progress-fill w' + b.percent;
          var bar = el.querySelector('.progress-bar');
          if (bar) bar.setAttribute('aria-valuenow', String(b.done + b.failed));
          set('.js-percent', String(b.percent)); set('.js-done', fmt.format(b.done)); set('.js-total', fmt.format(b.total)); set('.js-failed', fmt.format(b.failed));
          if (b.status === 'running' || b.status === 'zipping') setTimeout(poll, 1000);
          else location.reload();
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    poll();
  });
})();
