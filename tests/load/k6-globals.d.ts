// k6 gives every script a console; @types/k6 declares its modules and __ENV/__VU/__ITER, not that.
declare const console: {
  log(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
};
