/** Per-request variables set by the middleware. */
export type Env = {
  Variables: {
    requestId: string;
    /** The API key's name, or `anonymous` when auth is off. */
    principal: string;
    /** Set by limitBody for bodies without a declared length: readJson caps them while reading. */
    bodyCap?: import('./limit.js').BodyCap;
  };
};
