// Steady traffic (the k6 counterpart of `npm run load -- URL`): a constant arrival rate of user
// steps (reads and create/read/update/delete) for DURATION, while something happens to the pods.
// Any failed request fails the run.
//   BASE_URL=http://10.213.0.1:30080 RATE=20 DURATION=60s k6 run tests/load/steady.js
import { mixed, summary, TREND_STATS } from './lib.js';

/** @type {import('k6/options').Options} */
export const options = {
  summaryTrendStats: TREND_STATS,
  scenarios: {
    steady: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 20),
      timeUnit: '1s',
      duration: __ENV.DURATION || '60s',
      preAllocatedVUs: Number(__ENV.VUS || 20),
      maxVUs: Number(__ENV.MAX_VUS || 60),
      gracefulStop: '10s',
    },
  },
  thresholds: {
    http_req_failed: ['rate==0'], // not one failed request while pods roll
    checks: ['rate==1'],
  },
};

export default function () {
  mixed(__ENV.LABEL || 'k6 steady');
}

export const handleSummary = summary(__ENV.NAME || 'steady');
