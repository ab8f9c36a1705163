// The sign-in form shown first when the server wants a token. Nothing is read from /v1
// until the user submits one; it is then checked with one request and kept in this tab's
// sessionStorage only (gone when the tab closes).

import { api, clearToken, setToken } from './api.js';
import { fill, h } from './dom.js';

/** Shows the form; resolves once a token the server accepts was entered. */
export function login(main, reason) {
  return new Promise((resolve) => {
    const input = h('input', {
      id: 'token', name: 'token', type: 'password', autocomplete: 'current-password',
      required: true, spellcheck: 'false', 'aria-describedby': 'login-msg',
    });
    const msg = h('p', { id: 'login-msg', class: reason ? 'error' : 'muted', role: 'alert' },
      reason || 'This server wants the API token (the one given to mlqd serve --token).');
    const button = h('button', { type: 'submit', class: 'btn primary', dataset: { action: 'sign-in' } }, 'Sign in');
    const form = h('form', { class: 'login panel', 'aria-labelledby': 'login-title' },
      h('h1', { id: 'login-title', text: 'Sign in to mlqd' }),
      h('label', { for: 'token', text: 'API token' }),
      input,
      msg,
      button);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const t = input.value.trim();
      if (!t) return;
      button.disabled = true;
      msg.className = 'muted';
      msg.textContent = 'Checking…';
      setToken(t);
      try {
        await api('/v1/queues', { quiet401: true });
        resolve();
      } catch (err) {
        clearToken();
        msg.className = 'error';
        msg.textContent = err.status === 401
          ? 'That token was refused (401): check it and try again.'
          : `Could not check the token: ${err.message}`;
        input.select();
      } finally {
        button.disabled = false;
      }
    });
    fill(main, form);
    input.focus();
  });
}
