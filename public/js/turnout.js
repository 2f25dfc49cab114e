// Keyboard-first entry (progressive: the forms work without it): in a form marked data-enter-next, Enter in a figure
// box moves to the next box; in the last box it submits. The first box with an error gets the focus.
(function () {
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('form[data-enter-next]').forEach(function (form) {
      var boxes = Array.prototype.slice.call(form.querySelectorAll('input.to-num'));
      boxes.forEach(function (box, i) {
        box.addEventListener('keydown', function (ev) {
          if (ev.key !== 'Enter' || ev.shiftKey || ev.ctrlKey || ev.altKey || ev.metaKey) return;
          if (i < boxes.length - 1) {
            ev.preventDefault();
            boxes[i + 1].focus();
            boxes[i + 1].select();
          }
        });
      });
      var bad = form.querySelector('input[aria-invalid="true"]');
      if (bad) { bad.focus(); bad.select(); }
    });
  });
})();
