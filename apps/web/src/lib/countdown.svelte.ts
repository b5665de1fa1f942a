// The wait of a throttled form (429), counted down in the browser: the button
// stays disabled until it is over. Without JavaScript the page still shows
// the server's message with the wait, and the button is never disabled.
import { untrack } from 'svelte';
import { describeWait } from './format.ts';
import type { Refusal } from './refusal.ts';

export class Countdown {
  /** Seconds left; 0 before the countdown starts (server rendering) and once it is over. */
  remaining = $state(0);
  /** The countdown runs in this browser (so the live message replaces the server's). */
  started = $state(false);
  #timer: ReturnType<typeof setInterval> | undefined;

  start(seconds: number): void {
    clearInterval(this.#timer);
    this.remaining = seconds;
    this.started = true;
    this.#timer = setInterval(() => {
      this.remaining = Math.max(0, this.remaining - 1);
      if (this.remaining === 0) clearInterval(this.#timer);
    }, 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The form's message, with the wait counted down once the countdown runs. */
  message(form: Refusal | null | undefined): string | undefined {
    if (!form?.retryAfterSeconds || !form.waitReason || !this.started) return form?.message;
    return this.remaining > 0
      ? `${form.waitReason} Try again in ${describeWait(this.remaining)}.`
      : `${form.waitReason} You can try again now.`;
  }
}

/** A countdown that starts whenever the form comes back throttled. Call it during component setup. */
export function throttleCountdown(retryAfterSeconds: () => number | undefined): Countdown {
  const countdown = new Countdown();
  $effect(() => {
    const seconds = retryAfterSeconds();
    // Only the form result is a dependency, not the ticking countdown.
    if (seconds) untrack(() => countdown.start(seconds));
    return () => countdown.stop();
  });
  return countdown;
}
