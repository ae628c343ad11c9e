import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench/results/**', 'coverage/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly' } }
  },
  {
    // The console's one browser module (console/console.js).
    files: ['console/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries([
        'window', 'document', 'location', 'history', 'navigator', 'sessionStorage', 'fetch', 'URL', 'URLSearchParams',
        'FormData', 'Node', 'AbortController', 'TextDecoderStream', 'confirm', 'prompt', 'console', 'setTimeout',
        'clearTimeout', 'XMLHttpRequest'
      ].map(name => [name, 'readonly']))
    }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }]
    }
  }
)
