/*
 * The agent console's live parts: the queue and an open conversation follow Server-Sent Events from /agent/events.
 * Everything else is plain server-rendered HTML with forms.
 */
(function () {
  'use strict';
  var live = document.getElementById('live');
  var queue = document.querySelector('[data-live="queue"]');
  if (!live && !queue) return;
  var events = new EventSource('/agent/events');
  var busy = false;
  /** A message came while a fetch was under way: fetch again when it ends, so the newest line is never missed. */
  var again = false;
  var queueTimer;

  function refreshQueue() {
    fetch(location.pathname + location.search, { credentials: 'same-origin' })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('[data-live="queue"]');
        if (fresh) queue.replaceWith(fresh), (queue = fresh);
      });
  }

  function fetchMessages() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    again = false;
    var after = live.getAttribute('data-after') || '0';
    fetch('/agent/handoffs/' + encodeURIComponent(live.getAttribute('data-handoff')) + '/messages?after=' + encodeURIComponent(after), { credentials: 'same-origin' })
      .then(function (response) {
        return response.json();
      })
      .then(function (body) {
        body.messages.forEach(function (message) {
          live.insertAdjacentHTML('beforeend', message.html);
          live.setAttribute('data-after', String(message.seq));
        });
        if (body.messages.length) live.lastElementChild.scrollIntoView({ block: 'nearest' });
      })
      .finally(function () {
        busy = false;
        if (again) fetchMessages();
      });
  }

  // Connected, or connected again after a break: whatever changed meanwhile is fetched, not waited for.
  events.onopen = function () {
    if (queue) refreshQueue();
    if (live) fetchMessages();
  };

  events.onmessage = function (message) {
    var event = JSON.parse(message.data);
    // The queue changes when a hand-off opens, is taken or ends, not with each message; a burst redraws it once.
    if (queue && event.kind !== 'message') {
      clearTimeout(queueTimer);
      queueTimer = setTimeout(refreshQueue, 300);
    }
    if (live && event.handoffId === live.getAttribute('data-handoff')) {
      // Taken, handed back, closed: the buttons change, so the page is drawn again; a message is only added.
      if (event.kind === 'message') fetchMessages();
      else location.reload();
    }
  };
})();
