/** Types of start.mjs, for the TypeScript tests that start the provider. */
export interface ProviderUser {
  username: string;
  password: string;
  email: string;
  name: string;
  groups: string[];
}
export declare const USERS: ProviderUser[];
export declare const HYDRA_BIN: string;
export interface Provider {
  issuer: string;
  publicUrl: string;
  adminUrl: string;
  loginUrl: string;
  output: string[];
  createClient(options: { redirectUris: string[]; postLogoutRedirectUris?: string[]; idTokenLifespan?: string }): Promise<{ clientId: string; clientSecret: string }>;
  stop(): Promise<void>;
}
export declare function startProvider(options?: { host?: string; issuer?: string }): Promise<Provider>;
export declare function signInAtProvider(authorizationUrl: string, user: ProviderUser, redirectPrefix: string): Promise<string>;
