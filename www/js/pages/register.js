// Register a model, dataset or code repository by URL (POST /artifact/{type}).

import {h, field, notice, busy} from '../dom.js';
import {api, TYPES, typeLabel, artifactHref, refusedMetrics, sentence} from '../api.js';
import {score} from '../format.js';

const EXAMPLES = {
  model: 'https://huggingface.co/google-bert/bert-base-uncased',
  dataset: 'https://huggingface.co/datasets/bookcorpus/bookcorpus',
  code: 'https://github.com/openai/whisper',
};

/** The message for a failed ingest (register or update), in words, as a list of nodes. */
export function ingestFailure(err, type) {
  switch (err.status) {
    case 424: {
      if (/^the model scan refuses/.test(err.detail || '')) {
        return [
          h('p', {class: 'msg-title'}, 'The registry refused this model: its security scan found files that would run code when loaded, or that it could not read whole.'),
          h('p', null, sentence(err.detail)),
          h('p', null, 'Nothing was stored. A model published as safetensors, without pickled code, passes the scan.'),
        ];
      }
      const failing = refusedMetrics(err.detail);
      return [
        h('p', {class: 'msg-title'}, 'The registry refused this model: its trust rating is too low to register it.'),
        failing.length
          ? [h('p', null, 'These scores fell short (each is between 0 and 1; higher is better):'),
            h('ul', null, failing.map((m) => h('li', null, `${m.label}: ${score(m.value)}`)))]
          : h('p', null, sentence(err.detail) || 'The registry did not say which scores fell short.'),
        h('p', null, 'Nothing was stored. A model with better documentation, a clear licence or linked code and data may pass.'),
      ];
    }
    case 400:
      return [h('p', {class: 'msg-title'}, `This ${typeLabel(type).toLowerCase()} could not be registered: the URL was not accepted.`),
        h('p', null, sentence(err.detail) || 'Check that the URL names an existing repository of this type.')];
    case 409:
      return [h('p', {class: 'msg-title'}, 'This URL is already registered.'),
        h('p', null, `${sentence(err.detail)} Search for it by name to open it.`.trim())];
    case 502:
    case 504:
      return [h('p', {class: 'msg-title'}, 'Hugging Face or GitHub could not be reached, so nothing was registered.'),
        h('p', null, `${sentence(err.detail)} Please try again in a little while.`.trim())];
    default:
      return [h('p', {class: 'msg-title'}, 'Registering failed.'), h('p', null, err.message)];
  }
}

export async function registerPage({root, query, signal, setTitle}) {
  setTitle('Register an artifact');
  const initial = TYPES.includes(query.get('type')) ? query.get('type') : 'model';
  const msg = notice();
  const typeSelect = h('select', {id: 'register-type', name: 'type'},
    TYPES.map((t) => h('option', {value: t, selected: t === initial}, typeLabel(t))));
  const url = h('input', {type: 'url', name: 'url', required: true, spellcheck: 'false', autocomplete: 'url', inputmode: 'url'});
  const name = h('input', {type: 'text', name: 'name', spellcheck: 'false', autocomplete: 'off'});
  const submit = h('button', {type: 'submit'}, 'Register');
  const urlField = field('Source URL', url, {hint: `For example ${EXAMPLES[initial]}`});
  const hint = urlField.querySelector('.hint');
  typeSelect.addEventListener('change', () => { hint.textContent = `For example ${EXAMPLES[typeSelect.value]}`; });

  const form = h('form', {class: 'card stack', novalidate: true, 'aria-labelledby': 'register-heading'},
    h('h2', {id: 'register-heading'}, 'Source'),
    h('div', {class: 'row'}, h('div', {class: 'field'}, h('label', {for: 'register-type'}, 'Type'), typeSelect), urlField),
    field('Name (optional)', name, {hint: 'Leave empty to use the name in the URL.'}),
    h('div', {class: 'row'}, submit),
    msg.el);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    url.removeAttribute('aria-invalid');
    const value = url.value.trim();
    if (!/^https?:\/\/\S+$/i.test(value)) {
      url.setAttribute('aria-invalid', 'true');
      msg.error('Enter the full URL of the source, starting with https://');
      url.focus();
      return;
    }
    const type = typeSelect.value;
    msg.info(`Registering… The registry fetches the ${typeLabel(type).toLowerCase()} from upstream${type === 'model' ? ' and rates it' : ''}; this can take a few seconds.`);
    await busy(submit, 'Registering…', async () => {
      try {
        const body = {url: value};
        if (name.value.trim()) body.name = name.value.trim();
        const {data} = await api('POST', `/artifact/${type}`, {body, signal});
        const md = (data && data.metadata) || {};
        msg.success(
          h('p', {class: 'msg-title'}, `Registered ${md.name || 'the artifact'} as ${typeLabel(md.type || type).toLowerCase()} ${md.id || ''}.`),
          h('p', null, h('a', {href: artifactHref(md.type || type, md.id)}, `Open ${md.name || 'the artifact'}`)));
        url.value = '';
        name.value = '';
      } catch (err) {
        if (err.name === 'AbortError') return;
        if (err.status === 400) url.setAttribute('aria-invalid', 'true');
        msg.error(...ingestFailure(err, type));
      }
    });
  });

  root.append(
    h('h1', null, 'Register an artifact'),
    h('p', {class: 'page-intro'}, 'Give the URL of a Hugging Face model or dataset, a Kaggle dataset or a GitHub repository. The registry fetches its metadata, rates a model for trustworthiness, and stores it; models rated too low are refused.'),
    form);
}
