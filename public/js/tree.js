// Progressive enhancement for the administrative tree pages: type-ahead suggestions under the search box, as an
// ARIA combobox (arrows move, Enter opens the highlighted unit, Escape closes). Without JavaScript — or with nothing
// highlighted — Enter submits the form and the server does the full search.
(function () {
  function init(input) {
    var url = input.getAttribute('data-suggest');
    var list = document.createElement('ul');
    list.id = input.id + '-list';
    list.className = 'suggest-list';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', input.getAttribute('data-suggest-label') || '');
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);

    var items = [];
    var active = -1;
    var timer = null;
    var seq = 0;

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
    }

    function highlight(i) {
      var options = list.querySelectorAll('[role="option"]');
      for (var k = 0; k < options.length; k++) options[k].setAttribute('aria-selected', k === i ? 'true' : 'false');
      active = i;
      if (i >= 0 && options[i]) {
        input.setAttribute('aria-activedescendant', options[i].id);
        options[i].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }

    function render(data) {
      list.textContent = '';
      items = (data && data.items) || [];
      items.forEach(function (it, i) {
        var li = document.createElement('li');
        li.id = list.id + '-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        var name = document.createElement('span');
        name.className = 's-name';
        name.textContent = it.name;
        var meta = document.createElement('span');
        meta.className = 's-meta';
        meta.textContent = it.code + (it.parentName ? ' · ' + it.parentName : '');
        li.appendChild(name);
        li.appendChild(meta);
        // mousedown, not click: it runs before the input loses focus and closes the list.
        li.addEventListener('mousedown', function (e) {
          e.preventDefault();
          location.href = it.href;
        });
        list.appendChild(li);
      });
      if (items.length) {
        list.hidden = false;
        input.setAttribute('aria-expanded', 'true');
        active = -1;
      } else {
        close();
      }
    }

    function query() {
      var q = input.value.trim();
      if (q.length < 2) {
        close();
        return;
      }
      var params = new URLSearchParams({ q: q, limit: '8' });
      var asOf = input.getAttribute('data-as-of');
      if (asOf) params.set('asOf', asOf);
      var province = input.getAttribute('data-province');
      if (province) params.set('province', province);
      var mine = ++seq;
      fetch(url + '?' + params.toString(), { headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (d) { if (mine === seq && document.activeElement === input) render(d); })
        .catch(close);
    }

    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(query, 150);
    });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') {
        seq++; // a late answer must not reopen the list while the form submits
        if (!list.hidden && active >= 0 && items[active]) {
          e.preventDefault();
          location.href = items[active].href;
        }
        return;
      }
      if (list.hidden) return;
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        highlight(Math.min(items.length - 1, active + 1));
      } else if (e.key === 'ArrowUp') {
        e.preventDefault();
        highlight(Math.max(-1, active - 1));
      } else if (e.key === 'Escape') {
        e.preventDefault();
        close();
      }
    });
    input.addEventListener('blur', function () { setTimeout(close, 150); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('input[data-suggest]').forEach(init);
  });
})();
