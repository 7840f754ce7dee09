// crm-agent dashboard: draws the charts whose data the server embedded, and the Mermaid flowcharts.
/* global Chart, mermaid */
(() => {
  for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) continue;
    const config = JSON.parse(source.textContent);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    // Band charts name their lower edges "… low": the legend shows each band once.
    const labels = config.options.plugins?.legend?.labels;
    if (labels && labels.filter === 'hide-low') labels.filter = (item) => !/ low$/.test(item.text);
    new Chart(canvas, config);
    canvas.dataset.drawn = 'true';
  }
  if (window.mermaid && document.querySelector('.mermaid')) {
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral' });
    mermaid.run({ querySelector: '.mermaid' }).then(() => {
      document.body.dataset.mermaid = 'drawn';
    });
  }
  // The tenant switcher (a listener, not an inline handler: the Content-Security-Policy allows no inline script).
  for (const select of document.querySelectorAll('select[data-tenant-switch]')) {
    select.addEventListener('change', () => {
      location.href = select.dataset.tenantSwitch + encodeURIComponent(select.value);
    });
  }
  for (const input of document.querySelectorAll('[data-filter]')) {
    const table = document.getElementById(input.dataset.filter);
    const apply = () => {
      const text = input.value.toLowerCase();
      for (const row of table.tBodies[0].rows)
        row.hidden = text !== '' && !row.textContent.toLowerCase().includes(text);
    };
    input.addEventListener('input', apply);
  }
})();
