import type { Argv } from 'yargs';

// `dbdiag completion` prints yargs' shell completion script: the zsh form when $SHELL (or
// $ZSH_NAME) names zsh, the bash form otherwise. The script calls back
// `dbdiag --get-yargs-completions ...`, so commands and options complete from the real parser.
export const COMPLETION_COMMAND = 'completion';

export function withCompletion<T>(yargs: Argv<T>): Argv<T> {
  return yargs.completion(
    COMPLETION_COMMAND,
    'Print the bash or zsh completion script (for $SHELL): dbdiag completion >> ~/.bashrc (or ~/.zshrc)',
  );
}
