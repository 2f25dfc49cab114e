// Progressive enhancement only (pages work without it): live progress bars for background jobs.
(function () {
  function poll(el) {
    var id = el.getAttribute('data-job-id');
    if (!id) return;
    fetch('/jobs/' + id, { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        var pct = j.total > 0 ? Math.min(100, Math.round((j.done / j.total) * 100)) : 0;
        var fill = el.querySelector('.progress-fill');
        if (fill) fill.className = 'progress-fill w' + pct;
        var bar = el.querySelector('.progress-bar');
        if (bar) { bar.setAttribute('aria-valuenow', String(j.done)); bar.setAttribute('aria-valuemax', String(j.total)); }
        var fmt = new Intl.NumberFormat(document.documentElement.lang === 'en' ? 'en-US' : 'vi-VN');
        var d = el.querySelector('.js-done'); if (d) d.textContent = fmt.format(j.done);
        var t = el.querySelector('.js-total'); if (t) t.textContent = fmt.format(j.total);
        el.setAttribute('data-status', j.status);
        if (j.status === 'queued' || j.status === 'running') setTimeout(function () { poll(el); }, 1000);
        else if (el.getAttribute('data-reload') !== 'no') location.reload();
      })
      .catch(function () { setTimeout(function () { poll(el); }, 3000); });
  }
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('.progress[data-job-id]').forEach(function (el) {
      var s = el.getAttribute('data-status');
      if (s === 'queued' || s === 'running') poll(el);
    });
  });
})();
