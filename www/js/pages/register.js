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

/** "model https://..." per line -> [{type, url}]; a line that is not "TYPE URL" is an error
 *  naming it. */
function groupLines(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.map((line, i) => {
    const m = /^(model|dataset|code)\s+(https?:\/\/\S+)$/i.exec(line);
    if (!m) throw new Error(`Line ${i + 1} is not a type (model, dataset or code) followed by a URL.`);
    return {op: 'ingest', type: m[1].toLowerCase(), url: m[2]};
  });
}

/** The name a zip registers under: its file name without ".zip". */
function zipName(file) {
  return file.name.replace(/\.zip$/i, '');
}

/** The package-group section: every line and zip registered, or none (POST /groups, its
 *  commands and uploads, then execute). */
function groupForm(signal) {
  const msg = notice();
  const lines = h('textarea', {name: 'group-lines', rows: 4, spellcheck: 'false', autocomplete: 'off'});
  const zips = h('input', {type: 'file', name: 'group-zips', accept: '.zip,application/zip', multiple: true});
  const zipType = h('select', {id: 'group-zip-type', name: 'group-zip-type'},
    TYPES.map((t) => h('option', {value: t}, typeLabel(t))));
  const submit = h('button', {type: 'button'}, 'Add all or none');
  // A section, not a second form: the page's form stays the one "main form" names.
  const form = h('section', {class: 'card stack', id: 'group-section', 'aria-labelledby': 'group-heading'},
    h('h2', {id: 'group-heading'}, 'Several at once, all or none'),
    field('Sources, one per line', lines, {hint: 'A type and a URL on each line, for example: model https://huggingface.co/google-bert/bert-base-uncased. Either every line is registered, or none is.'}),
    h('div', {class: 'row'},
      field('Zip files to upload with them (optional)', zips, {hint: 'Your own files, laid out like a Hugging Face repository. Each zip is registered under its file name without .zip.'}),
      h('div', {class: 'field'}, h('label', {for: 'group-zip-type'}, 'Upload the zips as'), zipType)),
    h('div', {class: 'row'}, submit),
    msg.el);

  submit.addEventListener('click', async () => {
    lines.removeAttribute('aria-invalid');
    let commands;
    const files = [...zips.files];
    try {
      commands = groupLines(lines.value);
      if (!commands.length && !files.length) throw new Error('Enter at least one line, or choose a zip file.');
    } catch (err) {
      lines.setAttribute('aria-invalid', 'true');
      msg.error(err.message);
      lines.focus();
      return;
    }
    const total = commands.length + files.length;
    msg.info(`Registering ${total} artifacts together… Nothing appears until all of them pass.`);
    await busy(submit, 'Registering…', async () => {
      try {
        const {data: group} = await api('POST', '/groups', {signal});
        for (const cmd of commands) await api('POST', `/groups/${group.id}/commands`, {body: cmd, signal});
        for (const file of files) {
          const query = new URLSearchParams({type: zipType.value, name: zipName(file)});
          await api('POST', `/groups/${group.id}/uploads?${query}`, {text: file, textType: 'application/zip', signal});
        }
        const {data: arts} = await api('POST', `/groups/${group.id}/execute`, {signal});
        msg.success(
          h('p', {class: 'msg-title'}, `Registered all ${arts.length} together.`),
          h('ul', null, arts.map((a) => h('li', null,
            h('a', {href: artifactHref(a.metadata.type, a.metadata.id)}, a.metadata.name),
            ` (${typeLabel(a.metadata.type).toLowerCase()})`))));
        lines.value = '';
        zips.value = '';
      } catch (err) {
        if (err.name === 'AbortError') return;
        msg.error(h('p', {class: 'msg-title'}, 'None of them was registered.'),
          ...(err.status === 400 && /\(upload\)/.test(err.detail || '')
            ? [h('p', null, `A zip file was not accepted. ${sentence(err.detail)}`)]
            : ingestFailure(err, 'model').slice(1)));
      }
    });
  });
  return form;
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
    form,
    groupForm(signal));
}
