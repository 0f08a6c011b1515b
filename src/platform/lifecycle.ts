import type * as vscode from 'vscode';

/** Disposes every item, last registered first, and empties the array. */
export function disposeAll(disposables: vscode.Disposable[]): void {
  while (disposables.length) disposables.pop()?.dispose();
}

/** A plain function as a Disposable. */
export function toDisposable(dispose: () => void): vscode.Disposable {
  return { dispose };
}

/**
 * Base for everything that owns listeners, emitters or other disposables: `register()` what you create, and
 * `dispose()` releases it all once (last registered first). Something registered after disposal is disposed
 * right away, so a late listener cannot leak.
 */
export abstract class Disposable implements vscode.Disposable {
  private disposed = false;
  private readonly owned: vscode.Disposable[] = [];

  protected register<T extends vscode.Disposable>(value: T): T {
    if (this.disposed) value.dispose();
    else this.owned.push(value);
    return value;
  }

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeAll(this.owned);
  }
}
