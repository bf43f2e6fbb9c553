/*
 * The help-site chat widget: one tag adds a launcher button and a chat panel with the stock Bot Framework Web Chat.
 *
 *   <script src="https://BOT/widget.js" data-locale="sv" async></script>
 *
 * Options (all optional, as data- attributes on the tag):
 *   data-locale    sv | en            first language (default: the page's lang, else sv)
 *   data-title     text               the panel's title (default: "Kundtjänst" / "Customer support")
 *   data-color     #rrggbb            launcher, header and accent colour (default #0b5cab)
 *   data-avatar    URL                the bot's picture in the conversation (default: initials)
 *   data-open      true | false       start with the panel open (default false)
 *   data-position  right | left       which corner (default right)
 *
 * The page's origin must be allowed by the bot (WIDGET_ALLOWED_ORIGINS); the bot's own pages always are. The script
 * is served by the bot with its words filled in from the bot's locales (the placeholder below). Plain ES2017, no
 * build step; everything it adds to the page is prefixed "ssw-".
 */
(function () {
  'use strict';

  var CONFIG = /*__WIDGET_CONFIG__*/null;
  var script = document.currentScript;
  if (!CONFIG || !script || window.__subscriptionSupportWidget) return;
  window.__subscriptionSupportWidget = true;

  var botOrigin = new URL(script.src, location.href).origin;
  var data = script.dataset;
  var COLOR = /^#[0-9a-f]{3,8}$/i.test(data.color || '') ? data.color : '#0b5cab';
  var LOCALES = { sv: 'sv-SE', en: 'en-US' };
  var STORAGE_KEY = 'ssw-conversation:' + botOrigin;
  var POLLING_MS = 200;
  /** Direct Line's connection status "ended" (the conversation is gone). */
  var ENDED = 5;

  function languageOf(tag) {
    if (!tag) return undefined;
    return /^sv(?:[-_]|$)/i.test(String(tag).trim()) ? 'sv' : /^en(?:[-_]|$)/i.test(String(tag).trim()) ? 'en' : undefined;
  }

  var saved = readSaved();
  var language = (saved && saved.language) || languageOf(data.locale) || languageOf(document.documentElement.lang) || 'sv';
  var words = function (key) {
    return CONFIG.strings[language][key];
  };

  // --- The launcher and the panel ---------------------------------------------------------------------------------
  var side = data.position === 'left' ? 'left' : 'right';
  var style = document.createElement('style');
  style.textContent = [
    '.ssw-launcher{position:fixed;bottom:20px;' + side + ':20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;border:0;background:' + COLOR + ';color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer;display:flex;align-items:center;justify-content:center}',
    '.ssw-launcher:focus-visible{outline:3px solid #000;outline-offset:3px}',
    '.ssw-launcher svg{width:28px;height:28px;fill:currentColor}',
    '.ssw-panel{position:fixed;bottom:92px;' + side + ':20px;z-index:2147483000;width:400px;max-width:calc(100vw - 40px);height:620px;max-height:calc(100vh - 120px);background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);display:flex;flex-direction:column;overflow:hidden;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
    '.ssw-panel[hidden]{display:none}',
    // The host page's own rules (line height, box sizing, fonts) must not reshape the panel.
    '.ssw-panel,.ssw-panel *{box-sizing:border-box}',
    '.ssw-panel{line-height:1.4;font-size:14px;text-align:left;letter-spacing:normal}',
    '.ssw-header{background:' + COLOR + ';color:#fff;padding:10px 12px;display:flex;align-items:center;gap:8px}',
    '.ssw-heading{flex:1;min-width:0}',
    '.ssw-title{font-size:16px;font-weight:600;margin:0}',
    '.ssw-subtitle{font-size:12px;opacity:.9;margin:2px 0 0}',
    '.ssw-header select{font:inherit;font-size:13px;border-radius:6px;border:1px solid rgba(255,255,255,.6);background:rgba(255,255,255,.15);color:#fff;padding:3px 4px}',
    '.ssw-header select option{color:#000}',
    '.ssw-close{background:none;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:4px 6px;border-radius:6px}',
    '.ssw-close:focus-visible,.ssw-header select:focus-visible{outline:2px solid #fff}',
    '.ssw-body{flex:1;min-height:0;position:relative}',
    '.ssw-webchat{height:100%}',
    '.ssw-status{position:absolute;inset:0;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:12px;padding:24px;text-align:center;color:#333;background:#fff;font-size:14px}',
    '.ssw-status[hidden]{display:none}',
    '.ssw-status button{font:inherit;border:0;border-radius:6px;background:' + COLOR + ';color:#fff;padding:8px 14px;cursor:pointer}',
  ].join('\n');
  document.head.appendChild(style);

  var launcher = element('button', { class: 'ssw-launcher', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'ssw-panel' });
  launcher.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>';

  var panel = element('section', { class: 'ssw-panel', id: 'ssw-panel', role: 'dialog', hidden: '' });
  var header = element('div', { class: 'ssw-header' });
  var heading = element('div', { class: 'ssw-heading' });
  var title = element('h2', { class: 'ssw-title', id: 'ssw-title' });
  var subtitle = element('p', { class: 'ssw-subtitle' });
  heading.append(title, subtitle);
  var picker = element('select', { class: 'ssw-language' });
  picker.append(element('option', { value: 'sv', lang: 'sv' }, 'Svenska'), element('option', { value: 'en', lang: 'en' }, 'English'));
  var close = element('button', { class: 'ssw-close', type: 'button' }, '\u00d7');
  header.append(heading, picker, close);
  var body = element('div', { class: 'ssw-body' });
  var mount = element('div', { class: 'ssw-webchat' });
  var status = element('div', { class: 'ssw-status', role: 'status', hidden: '' });
  body.append(mount, status);
  panel.append(header, body);
  panel.setAttribute('aria-labelledby', 'ssw-title');

  function showWords() {
    launcher.setAttribute('aria-label', words('launcher'));
    launcher.title = words('launcher');
    title.textContent = data.title || words('title');
    subtitle.textContent = words('subtitle');
    picker.setAttribute('aria-label', words('language'));
    picker.value = language;
    close.setAttribute('aria-label', words('close'));
    close.title = words('close');
    panel.lang = language;
  }

  function attach() {
    document.body.append(launcher, panel);
    showWords();
    if (data.open === 'true' || (saved && saved.open)) open();
  }
  if (document.body) attach();
  else document.addEventListener('DOMContentLoaded', attach);

  launcher.addEventListener('click', function () {
    if (panel.hidden) open();
    else hide();
  });
  close.addEventListener('click', function () {
    hide();
    launcher.focus();
  });
  panel.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      hide();
      launcher.focus();
    }
  });
  picker.addEventListener('change', function () {
    switchLanguage(picker.value);
  });

  function open() {
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    remember({ open: true });
    connect();
  }

  function hide() {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    remember({ open: false });
  }

  // --- The conversation -------------------------------------------------------------------------------------------
  var chat; // { directLine, store, userId }
  var connecting = false;

  function showStatus(key, action) {
    status.textContent = '';
    status.append(element('p', {}, words(key)));
    if (action) {
      var button = element('button', { type: 'button' }, words(action.key));
      button.addEventListener('click', action.run);
      status.append(button);
    }
    status.hidden = false;
  }

  function connect() {
    if (chat || connecting) return;
    connecting = true;
    showStatus('connecting');
    loadWebChat()
      .then(conversation)
      .then(function (connection) {
        connecting = false;
        start(connection);
      })
      .catch(function (problem) {
        connecting = false;
        var key = problem && problem.status === 403 ? 'notAllowed' : problem && problem.status === 429 ? 'busy' : 'unavailable';
        showStatus(key, key === 'notAllowed' ? undefined : { key: 'retry', run: connect });
      });
  }

  function loadWebChat() {
    if (window.WebChat) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var tag = document.createElement('script');
      tag.src = botOrigin + CONFIG.webChatPath;
      tag.async = true;
      tag.onload = function () {
        resolve();
      };
      tag.onerror = function () {
        reject({ status: 0 });
      };
      document.head.appendChild(tag);
    });
  }

  /** The conversation this tab had (a reload keeps it while its token is good), else a new one. */
  function conversation() {
    var previous = readSaved();
    if (previous && previous.token && previous.expiresAt - Date.now() > 60000) return Promise.resolve({ saved: previous, resumed: true });
    // A plain POST (no body, no custom header) needs no preflight, so a refused page can read the 403 and say so.
    return fetch(botOrigin + '/api/directline/token', { method: 'POST', mode: 'cors', credentials: 'omit' }).then(function (response) {
      if (!response.ok) throw { status: response.status };
      return response.json().then(function (token) {
        var fresh = { token: token.token, conversationId: token.conversationId, userId: token.userId, mode: token.mode, domain: token.domain, expiresAt: Date.now() + token.expiresIn * 1000 };
        remember(fresh);
        return { saved: fresh, resumed: false };
      });
    });
  }

  function start(connection) {
    var saved = connection.saved;
    var local = saved.mode === 'local';
    var directLine = window.WebChat.createDirectLine({
      token: saved.token,
      conversationId: connection.resumed ? saved.conversationId : undefined,
      domain: local ? botOrigin + '/v3/directline' : saved.domain,
      // The bot's own endpoint is polled (it has no WebSocket stream); Microsoft's service streams.
      webSocket: !local,
      pollingInterval: POLLING_MS,
      conversationStartProperties: { locale: LOCALES[language] },
    });
    var store = window.WebChat.createStore({}, function (api) {
      return function (next) {
        return function (action) {
          // A conversation replaced by a new one (restart) may still report; only the current one speaks.
          if (!chat || chat.directLine !== directLine) return next(action);
          if (action.type === 'DIRECT_LINE/CONNECT_FULFILLED') {
            status.hidden = true;
            // Microsoft's service does not greet on its own: the widget asks for the greeting, once per conversation.
            if (!local && !connection.resumed) api.dispatch({ type: 'WEB_CHAT/SEND_EVENT', payload: { name: 'webchat/join', value: { language: language } } });
          }
          if (action.type === 'DIRECT_LINE/CONNECT_REJECTED') {
            // A conversation kept from before a reload may be gone (forgotten by the bot, token expired): start anew.
            if (connection.resumed) restart();
            else showStatus('unavailable', { key: 'retry', run: restart });
          }
          if (action.type === 'DIRECT_LINE/UPDATE_CONNECTION_STATUS' && action.payload.connectionStatus === ENDED) {
            forget();
            showStatus('ended', { key: 'newConversation', run: restart });
          }
          return next(action);
        };
      };
    });
    chat = { directLine: directLine, store: store, userId: saved.userId, local: local };
    render();
    // Direct Line renews the token while the chat is open: kept so a reload can pick the conversation up again.
    var renewal = setInterval(function () {
      if (chat === undefined || chat.directLine !== directLine) return clearInterval(renewal);
      var kept = readSaved() || {};
      if (directLine.token && directLine.token !== kept.token) remember({ token: directLine.token, expiresAt: Date.now() + 15 * 60000 });
    }, 30000);
  }

  /** A new conversation in place of the one that could not go on. */
  function restart() {
    forget();
    if (chat && chat.directLine.end) chat.directLine.end();
    chat = undefined;
    // A fresh element for the new Web Chat: the old one is left to be collected with its React tree.
    var fresh = element('div', { class: 'ssw-webchat' });
    body.replaceChild(fresh, mount);
    mount = fresh;
    connect();
  }

  function forget() {
    var keep = readSaved() || {};
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ language: keep.language, open: keep.open }));
    } catch (error) {
      // As in remember(): without storage a reload simply starts over.
    }
  }

  function render() {
    window.WebChat.renderWebChat(
      {
        directLine: chat.directLine,
        store: chat.store,
        // Microsoft's service puts the user in its token (Web Chat reads it there); the local endpoint says it.
        userID: chat.local ? chat.userId : undefined,
        locale: LOCALES[language],
        styleOptions: {
          accent: COLOR,
          // An avatar only when the site gives a picture: in a narrow panel the bubbles need the room (a receipt's facts).
          botAvatarImage: data.avatar || undefined,
          hideUploadButton: true,
          bubbleBorderRadius: 10,
          bubbleFromUserBackground: '#eef3fb',
          suggestedActionLayout: 'flow',
          rootHeight: '100%',
        },
      },
      mount,
    );
  }

  function switchLanguage(next) {
    if (!CONFIG.strings[next] || next === language) return;
    language = next;
    remember({ language: language });
    showWords();
    if (!chat) return;
    render();
    // The caller's choice, in the new locale: the bot switches and asks its open question again. Posted straight to
    // Direct Line, as Web Chat would stamp its events with the locale it had before this render.
    chat.directLine
      .postActivity({ type: 'event', name: 'setLanguage', value: language, locale: LOCALES[language], from: { id: chat.userId, role: 'user' }, channelData: { localeChosen: true } })
      .subscribe({ error: function () {} });
  }

  // --- Small helpers ----------------------------------------------------------------------------------------------
  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function readSaved() {
    try {
      return JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null') || undefined;
    } catch (error) {
      return undefined;
    }
  }

  function remember(values) {
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(Object.assign({}, readSaved(), values)));
    } catch (error) {
      // Storage refused (private mode, full): the chat still works, only a reload starts over.
    }
  }
})();
