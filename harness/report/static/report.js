(function () {
  var form = document.getElementById('filters');
  function checked(name) {
    var values = {};
    form.querySelectorAll('input[name="' + name + '"]').forEach(function (box) {
      if (box.checked) { values[box.value] = true; }
    });
    return values;
  }
  function apply() {
    var arch = checked('arch'), policy = checked('policy'), distro = checked('distro');
    var verdict = checked('verdict'), installer = checked('installer');
    var text = form.querySelector('input[name="text"]').value.toLowerCase();
    var onlyUnexpected = form.querySelector('input[name="unexpected"]').checked;
    var shownCells = 0;
    document.querySelectorAll('section.arch').forEach(function (section) {
      section.classList.toggle('off', !arch[section.dataset.arch]);
    });
    document.querySelectorAll('.matrix [data-distro]').forEach(function (column) {
      column.classList.toggle('off', !distro[column.dataset.distro]);
    });
    document.querySelectorAll('div.block').forEach(function (block) {
      var rows = 0;
      var wanted = !!installer[block.dataset.installer];
      block.querySelectorAll('tbody tr').forEach(function (tr) {
        var policies = JSON.parse(tr.dataset.policies);
        var rowWanted = wanted && tr.dataset.row.toLowerCase().indexOf(text) >= 0 &&
          policies.some(function (p) { return policy[p]; });
        var cells = 0;
        tr.querySelectorAll('td.cell').forEach(function (td) {
          var show = rowWanted && !!verdict[td.dataset.verdict] && !!distro[td.dataset.distro] &&
            (!onlyUnexpected || td.classList.contains('unexpected'));
          td.classList.toggle('filtered', !show);
          if (show) { cells += 1; }
        });
        tr.classList.toggle('off', cells === 0);
        if (cells > 0) { rows += 1; shownCells += cells; }
      });
      block.classList.toggle('off', rows === 0);
    });
    document.getElementById('shown').textContent = String(shownCells);
  }
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  apply();
})();
