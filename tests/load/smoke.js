// Smoke test: a few users through every endpoint a user touches; not one request may fail.
//   BASE_URL=http://10.213.0.1:30080 k6 run tests/load/smoke.js
import { sleep } from 'k6';
import { page, list, crud, summary, TREND_STATS } from './lib.js';

/** @type {import('k6/options').Options} */
export const options = {
  summaryTrendStats: TREND_STATS,
  scenarios: {
    smoke: { executor: 'constant-vus', vus: Number(__ENV.VUS || 3), duration: __ENV.DURATION || '20s' },
  },
  thresholds: {
    http_req_failed: ['rate==0'], // zero failed requests
    checks: ['rate==1'], // every status and body check holds
    http_req_duration: ['p(95)<500'], // the whole mix, page renders included
    'http_req_duration{name:GET /api/tasks}': ['p(95)<300'],
    'http_req_duration{name:GET /}': ['p(95)<500'],
  },
};

export default function () {
  page();
  list();
  crud('k6 smoke');
  sleep(0.5);
}

export const handleSummary = summary(__ENV.NAME || 'smoke');
