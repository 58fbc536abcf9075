/** Types of chromium.mjs, for the TypeScript tests that drive the browser. */
export declare const CHROMIUM: string;
export declare const CHROMIUM_ARGS: string[];
