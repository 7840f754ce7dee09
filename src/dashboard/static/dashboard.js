// crm-agent dashboard: draws the charts whose data the server embedded, and the Mermaid flowcharts, and keeps an open
// page current while runs happen.
/* global Chart, mermaid */
(() => {
  /** Charts, flowcharts and table filters inside `root` (the page, or fresh content swapped in). */
  const draw = (root) => {
    for (const canvas of root.querySelectorAll('canvas[data-chart]')) {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) continue;
      const config = JSON.parse(source.textContent);
      config.options = Object.assign(
        { responsive: true, maintainAspectRatio: false, animation: false },
        config.options,
      );
      // Band charts name their lower edges "… low": the legend shows each band once.
      const labels = config.options.plugins?.legend?.labels;
      if (labels && labels.filter === 'hide-low') labels.filter = (item) => !/ low$/.test(item.text);
      new Chart(canvas, config);
      canvas.dataset.drawn = 'true';
    }
    if (window.mermaid && root.querySelector('.mermaid')) {
      mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral' });
      mermaid.run({ querySelector: '.mermaid' }).then(() => {
        document.body.dataset.mermaid = 'drawn';
      });
    }
    for (const input of root.querySelectorAll('[data-filter]')) {
      const table = document.getElementById(input.dataset.filter);
      const apply = () => {
        const text = input.value.toLowerCase();
        for (const row of table.tBodies[0].rows)
          row.hidden = text !== '' && !row.textContent.toLowerCase().includes(text);
      };
      input.addEventListener('input', apply);
    }
  };
  draw(document);

  // The tenant switcher (a listener, not an inline handler: the Content-Security-Policy allows no inline script).
  for (const select of document.querySelectorAll('select[data-tenant-switch]')) {
    select.addEventListener('change', () => {
      location.href = select.dataset.tenantSwitch + encodeURIComponent(select.value);
    });
  }

  // Live pages: ask every few seconds whether the tenant's latest run moved; if so, fetch this page again and swap
  // in its content, unless the admin is typing in it (a filter or a form keeps what they entered).
  const main = document.querySelector('main[data-live]');
  if (!main) return;
  const every = Number(main.dataset.interval || 5000);
  let refreshes = 0;
  const busy = () => {
    const active = document.activeElement;
    return active && main.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  };
  const poll = async () => {
    if (document.hidden || busy()) return;
    const answer = await fetch(main.dataset.live, { credentials: 'same-origin', cache: 'no-store' });
    if (!answer.ok) return;
    const { version } = await answer.json();
    if (version === main.dataset.version) return;
    const page = await fetch(location.href, { credentials: 'same-origin', cache: 'no-store' });
    if (!page.ok || busy()) return;
    const fresh = new DOMParser().parseFromString(await page.text(), 'text/html').querySelector('main');
    if (!fresh) return;
    main.innerHTML = fresh.innerHTML;
    main.dataset.version = fresh.dataset.version || version;
    draw(main);
    document.body.dataset.refreshed = String(++refreshes);
  };
  const loop = () =>
    poll()
      .catch(() => {
        // Offline or restarting: try again at the next tick.
      })
      .finally(() => setTimeout(loop, every));
  setTimeout(loop, every);
})();
