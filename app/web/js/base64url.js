// base64url (RFC 4648, section 5, unpadded) to and from bytes, for Web Push keys: the one copy.
// The pages import it as a module and both service workers load it with importScripts(): they
// are classic scripts, as module service workers do not run in every browser. So it exports
// nothing and puts its two functions on the global object, where either kind of script finds
// them: `self.base64url.toBytes(text)` and `self.base64url.fromBytes(buffer)`.

"use strict";

self.base64url = Object.freeze({
  /** The bytes `text` stands for (the server's VAPID public key, for applicationServerKey). */
  toBytes(text) {
    const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  },
  /** Unpadded base64url of an ArrayBuffer or typed array (a subscription's applicationServerKey). */
  fromBytes(buffer) {
    const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
});
