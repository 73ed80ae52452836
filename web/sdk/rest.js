// The REST half of the SDK: one call to the server, answered as the
// product's callbacks are: [ret, reason, data] with ret 0 on success.

import { SDKERR } from './types.js';

/** The SDKERR number in a REST `error_code` ("MMC.111070005" -> 111070005). */
function codeOf(errorCode) {
  const n = Number(String(errorCode || '').split('.').pop());
  return Number.isFinite(n) ? n : SDKERR.SDKERR_UNKOWN;
}

export class RestClient {
  /** @param {string} baseUrl */
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
    /** The login's token, sent as X-Access-Token; null before a login. */
    this.accessToken = null;
  }

  /** @returns {Promise<[number, string, any]>} */
  async call(method, path, { body, headers = {}, query } = {}) {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, v);
    const h = { 'Content-Type': 'application/json', ...headers };
    if (this.accessToken) h['X-Access-Token'] = this.accessToken;
    let resp;
    try {
      resp = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      return [SDKERR.UISDK_NO_NETWORK_ERROR, String(e), null];
    }
    const data = await resp.json().catch(() => null);
    if (!resp.ok) {
      return data && data.error_code ? [codeOf(data.error_code), data.error_msg, null] : [SDKERR.UISDK_HTTP_SERVER_ERROR, `HTTP ${resp.status}`, null];
    }
    return [0, '', data];
  }
}
