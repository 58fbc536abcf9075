// The few things htmx does not do by itself. No inline script anywhere: the CSP forbids it.
document.documentElement.classList.add('js');

// "All" ticks every row shown, including rows added later by "Load more" once ticked again.
document.addEventListener('change', (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.matches('[data-select-all]')) return;
  for (const row of document.querySelectorAll('input.select[form="bulk"]')) row.checked = box.checked;
});

// Empty filters stay out of the URL htmx pushes, so shared links read like what they show.
document.addEventListener('htmx:configRequest', (event) => {
  const { verb, formData } = event.detail;
  if (verb !== 'get' || !formData) return;
  for (const [name, value] of [...formData.entries()]) if (value === '') formData.delete(name);
});

// Escape leaves an inline edit, as Cancel does.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  const editing = event.target instanceof Element ? event.target.closest('.task.editing') : null;
  editing?.querySelector('.cancel')?.click();
});

// When a swap removes the focused row (delete), focus moves to the next row rather than
// being lost to the top of the page.
let nextAfterRemoval = null;
document.addEventListener('htmx:beforeSwap', (event) => {
  const target = event.detail.target;
  nextAfterRemoval = target?.classList?.contains('task') ? target.nextElementSibling ?? target.previousElementSibling : null;
});
document.addEventListener('htmx:afterSwap', (event) => {
  if (event.detail.target?.isConnected || !nextAfterRemoval) return;
  const focusable = nextAfterRemoval.querySelector('.title') ?? document.getElementById('q');
  focusable?.focus();
  nextAfterRemoval = null;
});
