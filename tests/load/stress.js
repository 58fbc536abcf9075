// Stress test: past the objectives, to find where it bends and to see it recover.
//   BASE_URL=http://10.213.0.1:30080 k6 run tests/load/stress.js     (about 4 minutes)
// An arrival rate that climbs (ramping-arrival-rate) to STRESS_PEAK steps/s, holds, and drops back,
// with a few browsing users (ramping-vus) alongside. The thresholds are the limits beyond which the
// service is broken rather than slow: errors under 1 %, p99 under 3 s, and the last phase (back at
// a low rate, tagged phase:recovery) within the normal objective again.
import { sleep } from 'k6';
import { page, mixed, summary, TREND_STATS } from './lib.js';

const PEAK = Number(__ENV.STRESS_PEAK || 100);

/** @type {import('k6/options').Options} */
export const options = {
  summaryTrendStats: TREND_STATS,
  scenarios: {
    climb: {
      executor: 'ramping-arrival-rate',
      exec: 'climb',
      startRate: 5,
      timeUnit: '1s',
      preAllocatedVUs: 20,
      maxVUs: 200,
      stages: [
        { duration: '1m', target: Math.round(PEAK / 2) },
        { duration: '1m', target: PEAK },
        { duration: '1m', target: PEAK },
        { duration: '20s', target: 5 },
      ],
    },
    recovery: {
      executor: 'constant-arrival-rate',
      exec: 'recovery',
      startTime: '3m30s',
      rate: 5,
      timeUnit: '1s',
      duration: '30s',
      preAllocatedVUs: 10,
      tags: { phase: 'recovery' },
    },
    browse: {
      executor: 'ramping-vus',
      exec: 'browse',
      stages: [{ duration: '1m', target: 5 }, { duration: '2m', target: 10 }, { duration: '20s', target: 0 }],
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(99)<3000'],
    'http_req_duration{phase:recovery}': ['p(95)<300'],
    'http_req_failed{phase:recovery}': ['rate==0'],
  },
};

export function climb() {
  mixed('k6 stress');
}

export function recovery() {
  mixed('k6 stress');
}

export function browse() {
  page();
  sleep(1);
}

export const handleSummary = summary('stress');
