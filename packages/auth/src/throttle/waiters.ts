// The attempts of this process waiting for a slot of a key, first come first
// served: woken with a slot handed to them, to look again ('local'), to look
// at the database ('poll'), or at their deadline.

/** What wakes a waiting attempt: a slot handed to it, or a reason to look again. */
export type Wake = { slot: string } | 'local' | 'poll';
type Waiter = (outcome: Wake | 'timeout') => void;

/** How often a waiting attempt looks for slots given back by other processes. */
const POLL_MS = 200;

export class Waiters {
  readonly #queues = new Map<string, Waiter[]>();

  /** The first attempt waiting for the key (to hand a slot to), if any. */
  first(keyId: string): ((slot: { slot: string }) => void) | undefined {
    return this.#queues.get(keyId)?.[0];
  }

  wakeFirst(keyId: string): void {
    this.#queues.get(keyId)?.[0]?.('local');
  }

  wakeAll(keyId: string): void {
    for (const waiter of [...(this.#queues.get(keyId) ?? [])]) waiter('local');
  }

  /**
   * Waits in the queue for the key: handed a slot, woken to look again
   * ('local'), sent to the database ('poll': only the first waiter, and only
   * while `mayPoll()`: no attempt here holds a slot of the key, since a
   * release here wakes it), or out of time.
   */
  wait(keyId: string, deadline: number, mayPoll: () => boolean): Promise<Wake | 'timeout'> {
    return new Promise((resolve) => {
      const queue = this.#queues.get(keyId) ?? [];
      this.#queues.set(keyId, queue);
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = (outcome) => {
        clearTimeout(timer);
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        if (queue.length === 0 && this.#queues.get(keyId) === queue) this.#queues.delete(keyId);
        resolve(outcome);
      };
      queue.push(waiter);
      const arm = () => {
        const left = deadline - Date.now();
        if (left <= 0) return waiter('timeout');
        timer = setTimeout(
          () => {
            if (Date.now() >= deadline) waiter('timeout');
            else if (queue[0] === waiter && mayPoll()) waiter('poll');
            else arm();
          },
          Math.min(POLL_MS * (0.5 + Math.random()), left),
        );
      };
      arm();
    });
  }
}
