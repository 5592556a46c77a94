import { describe, expect, it } from 'vitest';
import { CleanupStack, describeFailures } from '../../src/lifecycle/cleanup-stack.ts';

describe('CleanupStack', () => {
  it('runs cleanups last-in-first-out, all of them even when one fails, and each only once', async () => {
    const stack = new CleanupStack();
    const order: string[] = [];
    stack.push('redis', () => void order.push('redis'));
    stack.push('queue', () => {
      order.push('queue');
      throw new Error('queue close failed');
    });
    stack.push('server', async () => {
      await Promise.resolve();
      order.push('server');
    });
    expect(stack.size).toBe(3);
    const failures = await stack.run();
    expect(order).toEqual(['server', 'queue', 'redis']);
    expect(describeFailures(failures)).toEqual(['queue: queue close failed']);
    expect(await stack.run()).toEqual([]);
    expect(order).toHaveLength(3);
  });
});
