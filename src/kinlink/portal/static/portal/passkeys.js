/* Passkeys (WebAuthn) for the staff sign-in and the account page. A local file: the CSP allows no inline
   script. The server sends the ceremony's options as JSON (bytes in base64url) and verifies the answer. */
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? "{}" : JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || response.statusText); }
        return data;
      });
    });
  }

  function showError(section) {
    var error = section.querySelector("#passkey-error");
    if (error) { error.hidden = false; }
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function signIn(section) {
    post(section.dataset.optionsUrl).then(function (options) {
      return navigator.credentials.get({ publicKey: {
        challenge: toBytes(options.challenge),
        rpId: options.rpId,
        timeout: options.timeout,
        userVerification: options.userVerification,
        allowCredentials: descriptors(options.allowCredentials)
      } });
    }).then(function (credential) {
      var r = credential.response;
      return post(section.dataset.verifyUrl, {
        id: credential.id, rawId: toText(credential.rawId), type: credential.type,
        response: {
          clientDataJSON: toText(r.clientDataJSON),
          authenticatorData: toText(r.authenticatorData),
          signature: toText(r.signature),
          userHandle: r.userHandle ? toText(r.userHandle) : null
        },
        clientExtensionResults: credential.getClientExtensionResults()
      });
    }).then(function (result) {
      window.location.assign(result.redirect);
    }).catch(function () { showError(section); });
  }

  function register(section) {
    var nameField = section.querySelector("#passkey-name");
    post(section.dataset.optionsUrl).then(function (options) {
      return navigator.credentials.create({ publicKey: {
        challenge: toBytes(options.challenge),
        rp: options.rp,
        user: { id: toBytes(options.user.id), name: options.user.name, displayName: options.user.displayName },
        pubKeyCredParams: options.pubKeyCredParams,
        timeout: options.timeout,
        attestation: options.attestation,
        authenticatorSelection: options.authenticatorSelection,
        excludeCredentials: descriptors(options.excludeCredentials)
      } });
    }).then(function (credential) {
      var r = credential.response;
      return post(section.dataset.verifyUrl, {
        id: credential.id, rawId: toText(credential.rawId), type: credential.type,
        name: nameField ? nameField.value : "passkey",
        response: {
          clientDataJSON: toText(r.clientDataJSON),
          attestationObject: toText(r.attestationObject),
          transports: r.getTransports ? r.getTransports() : []
        },
        clientExtensionResults: credential.getClientExtensionResults()
      });
    }).then(function (result) {
      window.location.assign(result.redirect);
    }).catch(function () { showError(section); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var supported = !!(window.PublicKeyCredential && navigator.credentials);
    var login = document.getElementById("passkey-sign-in");
    var add = document.getElementById("passkey-register");
    [login, add].forEach(function (section) {
      if (section && !supported) { section.hidden = true; }
    });
    if (login && supported) {
      document.getElementById("passkey-sign-in-button").addEventListener("click", function () { signIn(login); });
    }
    if (add && supported) {
      document.getElementById("passkey-register-button").addEventListener("click", function () { register(add); });
    }
  });
}());
