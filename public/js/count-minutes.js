// Count-minutes entry form (views/pages/count-minutes/entry.hbs): live sums (valid + invalid, Σ votes, piles, the
// rule-23 ballot-paper inventory issued + unused + spoiled against received from the board),
// the server's rule check (GET …/check: the same catalogue, nothing saved) shown beside each field, a confirmation
// checkbox per warning, and the keyboard: Enter moves to the next field, Ctrl+S saves a draft.
(function () {
  'use strict';
  var form = document.getElementById('cm-form');
  if (!form) return;
  var nums = Array.prototype.slice.call(form.querySelectorAll('input.cm-num'));
  var lang = document.documentElement.lang === 'en' ? 'en-US' : 'vi-VN';
  var fmt = function (n) { return new Intl.NumberFormat(lang).format(n); };
  var val = function (name) {
    var el = form.elements.namedItem(name);
    if (!el || el.value.trim() === '' || !/^\d+$/.test(el.value.trim())) return null;
    return Number(el.value.trim());
  };
  var idOf = function (path) { return 'f-' + path.replace(/\./g, '-'); };
  var setSum = function (id, value, good) {
    var el = document.getElementById(id);
    if (!el) return;
    el.textContent = value === null ? '—' : value;
    el.classList.toggle('cm-bad', good === false);
    el.classList.toggle('cm-good', good === true);
  };

  function sums() {
    var valid = val('ballotsValid'), invalid = val('ballotsInvalid'), received = val('ballotsReceived');
    if (valid !== null && invalid !== null) setSum('sum-vi', fmt(valid + invalid), received === null ? undefined : valid + invalid === received);
    else setSum('sum-vi', null);
    var votes = 0, allVotes = true;
    form.querySelectorAll('input.cm-vote').forEach(function (el) { var v = val(el.name); if (v === null) allVotes = false; else votes += v; });
    var seats = Number(form.dataset.seats || 1);
    setSum('sum-votes', allVotes ? fmt(votes) : (votes ? fmt(votes) + ' …' : null), allVotes && valid !== null ? votes >= valid && votes <= seats * valid : undefined);
    var piles = 0, names = 0, anyPile = false;
    form.querySelectorAll('input.cm-pile').forEach(function (el) { var v = val(el.name); if (v !== null) { anyPile = true; piles += v; names += v * Number(el.dataset.k); } });
    setSum('sum-piles', anyPile ? fmt(piles) : null, anyPile && valid !== null ? piles === valid : undefined);
    setSum('sum-names', anyPile ? fmt(names) : null, anyPile && allVotes ? names === votes : undefined);
    // Rule 23: shown once issued, unused and spoiled are typed; green/red against "received from the board".
    var issued = val('ballotsIssued'), unused = val('ballotsUnused'), spoiled = val('ballotsSpoiled'), fromBoard = val('ballotsFromBoard');
    var inventoryOn = form.querySelector('[data-inventory]') && form.querySelector('[data-inventory]').getAttribute('data-inventory') !== 'off';
    if (issued !== null && unused !== null && spoiled !== null) setSum('sum-inventory', fmt(issued + unused + spoiled), fromBoard === null || !inventoryOn ? undefined : issued + unused + spoiled === fromBoard);
    else setSum('sum-inventory', null);
  }

  var timer = null, seq = 0;
  function check() {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  }
  function run() {
    var url = form.dataset.checkUrl;
    if (!url) return;
    var params = new URLSearchParams();
    nums.forEach(function (el) { if (el.value.trim() !== '') params.append(el.name, el.value.trim()); else if (el.classList.contains('cm-vote')) params.append(el.name, ''); });
    var my = ++seq;
    fetch(url + '?' + params.toString(), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j && my === seq) show(j); })
      .catch(function () { /* offline: the server checks again on saving */ });
  }

  function show(j) {
    form.querySelectorAll('.cm-msgs').forEach(function (m) { m.textContent = ''; });
    nums.forEach(function (el) { el.classList.remove('cm-bad', 'cm-warn'); });
    var live = document.getElementById('cm-live');
    live.textContent = '';
    var warnBox = document.getElementById('cm-warnings');
    var checked = {};
    warnBox.querySelectorAll('input[name=confirmedWarnings]').forEach(function (c) { checked[c.value] = c.checked; });
    warnBox.textContent = '';
    var seenWarn = {};
    (j.messages || []).forEach(function (msg) {
      var p = document.createElement('p');
      p.className = 'cm-' + msg.severity;
      p.textContent = msg.message;
      live.appendChild(p);
      var first = msg.fields[0];
      (msg.fields || []).forEach(function (f) {
        var el = document.getElementById(idOf(f));
        if (el) el.classList.add(msg.severity === 'error' ? 'cm-bad' : 'cm-warn');
      });
      var box = first && document.getElementById('m-' + idOf(first));
      if (box) { var q = p.cloneNode(true); box.appendChild(q); }
      if (msg.severity === 'warning' && !seenWarn[msg.code]) {
        seenWarn[msg.code] = true;
        var label = document.createElement('label');
        label.className = 'cm-confirm';
        var cb = document.createElement('input');
        cb.type = 'checkbox'; cb.name = 'confirmedWarnings'; cb.value = msg.code; cb.checked = !!checked[msg.code];
        var strong = document.createElement('strong');
        strong.textContent = msg.code;
        label.appendChild(cb); label.appendChild(document.createTextNode(' ')); label.appendChild(strong);
        label.appendChild(document.createTextNode(' ' + (warnBox.dataset.confirmLabel || '')));
        warnBox.appendChild(label);
      }
    });
    if (!live.childNodes.length) {
      var ok = document.createElement('p');
      ok.className = 'cm-none';
      ok.textContent = live.dataset.empty || '';
      live.appendChild(ok);
    }
    var pc = j.percents || {};
    ['voted', 'valid', 'invalid'].forEach(function (k) { var el = document.getElementById('pct-' + k); if (el) el.textContent = pc[k] || '—'; });
    form.querySelectorAll('[data-pct-for]').forEach(function (td) {
      var id = td.getAttribute('data-pct-for').slice(6);
      td.textContent = (pc.candidates && pc.candidates[id]) || '';
    });
  }

  form.addEventListener('input', function (e) {
    if (e.target.classList && e.target.classList.contains('cm-num')) { sums(); check(); }
  });
  // Enter goes to the next number field instead of submitting (paper minutes are typed top to bottom).
  form.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && e.target.tagName === 'INPUT' && e.target.type !== 'checkbox' && e.target.type !== 'submit') {
      e.preventDefault();
      var editable = Array.prototype.slice.call(form.querySelectorAll('input:not([type=hidden]):not([readonly]):not([disabled]), textarea:not([readonly])'));
      var i = editable.indexOf(e.target);
      if (i >= 0 && i + 1 < editable.length) {
        var next = editable[i + 1];
        var det = next.closest('details');
        if (det && !det.open) { var after = editable.slice(i + 1).find(function (x) { return !x.closest('details:not([open])'); }); if (after) next = after; }
        next.focus();
        if (next.select) next.select();
      }
    }
  });
  document.addEventListener('keydown', function (e) {
    if ((e.ctrlKey || e.metaKey) && (e.key === 's' || e.key === 'S')) {
      var draft = document.getElementById('cm-draft');
      if (draft) { e.preventDefault(); draft.click(); }
    }
  });
  // Links in the refusal summary focus their field.
  document.querySelectorAll('#cm-refusal a[data-field]').forEach(function (a) {
    a.addEventListener('click', function (e) {
      var el = document.getElementById(idOf(a.dataset.field));
      if (el) { e.preventDefault(); el.focus(); }
    });
  });
  sums();
  if (nums.some(function (el) { return el.value.trim() !== ''; })) run();
  var firstEmpty = nums.find(function (el) { return !el.readOnly && el.value.trim() === '' && !el.closest('details:not([open])'); });
  if (firstEmpty && !document.getElementById('cm-refusal')) firstEmpty.focus();
})();
