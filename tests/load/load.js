// Load test: the service objectives under a realistic mix.
//   BASE_URL=http://10.213.0.1:30080 k6 run tests/load/load.js      (about 3 minutes)
// Scenarios: browsing users ramping up and down (ramping-vus) and an API client at a constant
// arrival rate of create/read/update/delete (constant-arrival-rate), at the same time.
// Objectives (tests/load/README.md): availability 99.9 %, API p95 < 300 ms and p99 < 1 s, page p95 < 500 ms.
import { sleep } from 'k6';
import { page, list, crud, mixed, summary, TREND_STATS } from './lib.js';

const SCALE = Number(__ENV.SCALE || 1);

/** @type {import('k6/options').Options} */
export const options = {
  summaryTrendStats: TREND_STATS,
  scenarios: {
    browse: {
      executor: 'ramping-vus',
      exec: 'browse',
      startVUs: 0,
      stages: [
        { duration: '30s', target: 10 * SCALE },
        { duration: '1m', target: 10 * SCALE },
        { duration: '30s', target: 20 * SCALE },
        { duration: '30s', target: 0 },
      ],
      gracefulRampDown: '10s',
    },
    api: {
      executor: 'constant-arrival-rate',
      exec: 'api',
      rate: 5 * SCALE,
      timeUnit: '1s',
      duration: '2m30s',
      preAllocatedVUs: 10 * SCALE,
      maxVUs: 50 * SCALE,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    checks: ['rate>0.999'],
    'http_req_duration{name:GET /api/tasks}': ['p(95)<300', 'p(99)<1000'],
    'http_req_duration{name:POST /api/tasks}': ['p(95)<300', 'p(99)<1000'],
    'http_req_duration{name:GET /api/tasks/{id}}': ['p(95)<300', 'p(99)<1000'],
    'http_req_duration{name:GET /}': ['p(95)<500', 'p(99)<1500'],
    dropped_iterations: ['count<10'],
  },
};

export function browse() {
  page();
  sleep(1);
  list();
  sleep(1);
  mixed('k6 load');
}

export function api() {
  crud('k6 load');
}

export const handleSummary = summary('load');
