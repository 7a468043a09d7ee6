/** Per-request variables set by the middleware. */
export type Env = {
  Variables: {
    requestId: string;
    /** The API key's name, or `anonymous` when auth is off. */
    principal: string;
  };
};
