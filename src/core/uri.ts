/** `scheme://user:password@host…`: never echo the password in an error message. */
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/:@]*:)([^/@]+)@/i;

/** The URI with any password replaced by `***`. */
export function maskUri(uri: string): string {
  return uri.replace(URL_PASSWORD, '$1***@');
}
