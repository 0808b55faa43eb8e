// fnq dashboard: the pipeline pages (/ui/pipelines, /ui/pipelines/{id}).
// Loaded before app.js, whose helpers (h, link, table, badge, api, ...)
// these pages call when app.js's router draws them.
'use strict';

function pipelineName(p) { return p.name || shortId(p.id); }

function pipelinesPage(params) {
  const before = params.get('before') || '';
  const list = h('div', {id: 'pipelines'});
  const pager = h('div', {class: 'pager', id: 'pager'});
  const root = h('div', {}, h('h1', {}, 'Pipelines'), h('section', {class: 'panel'}, list, pager));
  const pageUrl = (b) => `/ui/pipelines${b ? '?' + new URLSearchParams({before: b}) : ''}`;
  const progress = (p) => {
    const done = Object.entries(p.counts).filter(([st]) => TERMINAL.has(st)).reduce((n, [, k]) => n + k, 0);
    return `${done}/${p.stage_count}`;
  };
  async function refresh() {
    const q = new URLSearchParams({limit: '50'});
    if (before) q.set('before', before);
    const data = await api(`/v1/pipelines?${q}`);
    update(list, JSON.stringify(data.pipelines), table(
      [['ID'], ['Name'], ['State'], ['Stages', 'num'], ['Finished', 'num wide'], ['Created', 'wide']],
      data.pipelines.map((p) => h('tr', {'data-pipeline-id': p.id, 'data-pipeline-state': p.state},
        h('td', {class: 'mono'}, link(`/ui/pipelines/${p.id}`, shortId(p.id), {title: p.id})),
        h('td', {}, p.name ? link(`/ui/pipelines/${p.id}`, p.name) : h('span', {class: 'muted'}, '—')),
        h('td', {}, badge(p.state)),
        h('td', {class: 'num', 'data-field': 'stage_count'}, p.stage_count),
        h('td', {class: 'num wide'}, progress(p)),
        h('td', {class: 'wide'}, fmtTime(p.created_at)))),
      'No pipelines yet (fnq pipeline submit FILE).', {id: 'pipelines-table'}));
    update(pager, JSON.stringify([before, data.next_before]),
      before ? link(pageUrl(''), '← Newest') : null,
      data.next_before ? link(pageUrl(data.next_before), 'Older →', {id: 'older'}) : null);
  }
  return {title: 'Pipelines', root, refresh};
}

function pipelinePage(id) {
  const heading = h('h1', {}, 'Pipeline ', h('span', {class: 'mono', id: 'pipeline-name'}, shortId(id)));
  const stateBox = h('div', {id: 'pipeline-state'});
  const fields = h('dl', {class: 'fields', id: 'pipeline-fields'});
  const tiles = h('div', {id: 'state-counts'});
  const stages = h('div', {id: 'stages'});
  const root = h('div', {}, heading, stateBox,
    h('section', {class: 'panel'}, h('h2', {}, 'Stages, in the order submitted'), stages,
      h('p', {}, link(`/ui/calls?pipeline=${encodeURIComponent(id)}`, 'Its calls, newest first →', {id: 'pipeline-calls'}))),
    h('div', {class: 'grid'},
      h('section', {class: 'panel'}, h('h2', {}, 'Fields'), fields),
      h('section', {class: 'panel'}, h('h2', {}, 'Stages by state'), tiles)));
  async function refresh() {
    const p = await api(`/v1/pipelines/${encodeURIComponent(id)}`);
    const names = new Map(p.stages.map((c) => [c.id, c.stage || shortId(c.id)]));
    fill(heading, 'Pipeline ', h('span', {class: p.name ? null : 'mono', id: 'pipeline-name'}, pipelineName(p)));
    update(stateBox, JSON.stringify([p.state, p.failed_stage]), h('p', {}, badge(p.state),
      p.failed_stage ? h('span', {class: 'err'}, ` · stage ${p.failed_stage} failed`) : null));
    const row = (k, v) => [h('dt', {}, k), h('dd', {'data-field': k}, v === null || v === undefined || v === '' ? '—' : v)];
    update(fields, JSON.stringify([p.id, p.name, p.key, p.created_at, p.finished_at, p.stage_count]), [
      row('id', h('span', {class: 'mono'}, p.id)), row('name', p.name), row('key', p.key),
      row('stages', p.stage_count), row('created', fmtTime(p.created_at)), row('finished', p.finished_at ? fmtTime(p.finished_at) : null),
    ].flat());
    const counts = {};
    for (const c of p.stages) counts[c.state] = (counts[c.state] || 0) + 1;
    update(tiles, JSON.stringify(counts), h('div', {class: 'tiles'}, STATES.filter((st) => counts[st]).map((st) =>
      h('div', {class: `tile s-${st}`, 'data-count-state': st}, h('span', {class: 'n'}, fmtCount(counts[st])), h('span', {class: 'label'}, st.replace('_', ' '))))));
    const ticking = p.stages.some((c) => c.state === 'running') ? Math.floor(serverNow() / 1000) : 0;
    update(stages, JSON.stringify([ticking, p.stages.map((c) => [c.id, c.state, c.attempt, c.finished_at, c.started_at])]), table(
      [['#', 'num'], ['Stage'], ['Function'], ['State'], ['Needs'], ['Attempt', 'num wide'], ['Run time', 'num'], ['Call', 'wide']],
      p.stages.map((c, i) => h('tr', {'data-stage': c.stage || c.id, 'data-call-id': c.id, 'data-call-state': c.state},
        h('td', {class: 'num'}, i + 1),
        h('td', {}, link(`/ui/calls/${c.id}`, c.stage || shortId(c.id), {class: 'stage-link'})),
        h('td', {}, link(`/ui/functions/${encodeURIComponent(c.function)}`, c.function)),
        h('td', {}, badge(c.state)),
        h('td', {class: 'needs'}, c.needs.length ? c.needs.map((n) => names.get(n) || shortId(n)).join(', ') : h('span', {class: 'muted'}, '—')),
        h('td', {class: 'num wide'}, `${c.attempt}/${c.max_retries + 1}`),
        h('td', {class: 'num'}, fmtDuration(runTime(c))),
        h('td', {class: 'mono wide'}, link(`/ui/calls/${c.id}`, shortId(c.id), {title: c.id})))),
      'This pipeline has no stages left (retention pruned them).', {id: 'stages-table'}));
    document.title = `Pipeline ${pipelineName(p)} (${p.state}) · fnq`;
  }
  return {title: `Pipeline ${shortId(id)}`, root, refresh};
}
