// Pickers of the report request forms (progressive enhancement: without JavaScript each field is a plain text input
// with a <datalist> of the places, units or areas in the person's scope, accent-free words included so "ha noi"
// matches "Hà Nội"). With it: as the person types, the list is refilled from GET /reports/pickers/<kind> (the whole
// scope, e.g. all 3,321 communes, searched on the server without accents); units and areas follow the election
// chosen in the same form; the chosen item's name is shown under the field.
(function () {
  function debounce(fn, ms) {
    var t;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }
  function fill(list, items) {
    while (list.firstChild) list.removeChild(list.firstChild);
    items.forEach(function (i) {
      var o = document.createElement('option');
      o.value = i.value;
      o.label = i.key ? i.label + ' · ' + i.key : i.label;
      o.setAttribute('data-name', i.label);
      list.appendChild(o);
    });
  }
  function setup(input) {
    var list = document.getElementById(input.getAttribute('list'));
    var hint = document.getElementById(input.id + '-hint');
    var form = input.form;
    var defaultHint = hint ? hint.textContent : '';
    var seq = 0;
    function param(name) {
      var el = form && form.elements.namedItem(name);
      return el && 'value' in el ? el.value : '';
    }
    function search() {
      var url = input.getAttribute('data-search') + '&q=' + encodeURIComponent(input.value.trim());
      var kind = input.getAttribute('data-picker');
      if (kind === 'unit' || kind === 'area') url += '&electionId=' + encodeURIComponent(param('electionId')) + '&contest=' + encodeURIComponent(param('contest'));
      var mine = ++seq;
      fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (b) { if (mine === seq) { fill(list, b.items || []); show(); } })
        .catch(function () {});
    }
    function show() {
      if (!hint) return;
      var v = input.value.trim();
      var hit = null;
      for (var i = 0; i < list.options.length; i++) if (list.options[i].value === v) hit = list.options[i];
      hint.textContent = hit ? '✓ ' + (hit.getAttribute('data-name') || hit.label.split(' · ')[0]) : defaultHint;
    }
    input.addEventListener('input', debounce(search, 200));
    input.addEventListener('change', show);
    if (form) ['electionId', 'contest'].forEach(function (n) {
      var el = form.elements.namedItem(n);
      if (el && el.addEventListener && (input.getAttribute('data-picker') === 'unit' || input.getAttribute('data-picker') === 'area')) {
        el.addEventListener('change', function () { input.value = ''; search(); });
      }
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    var inputs = document.querySelectorAll('input[data-picker][data-search][list]');
    for (var i = 0; i < inputs.length; i++) setup(inputs[i]);
  });
})();
