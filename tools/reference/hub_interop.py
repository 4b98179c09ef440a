"""Cross-checks runner's Hub test double and HF cache layout against huggingface_hub itself.

Run by HubTests' `huggingfaceHubAgreesWithTheTestDouble` when RUNNER_HUB_INTEROP_PYTHON points at
a Python with huggingface_hub (e.g. .venv/bin/python). Arguments: ENDPOINT TOKEN ROOT.
  1. reads the cache runner wrote under ROOT/runner-home offline (snapshot_download);
  2. downloads org/tiny from the test double into ROOT/python-home (hf_hub_download);
  3. creates me/pyup and uploads ROOT/upload with upload_folder (preupload, LFS batch, commit).
"""
import os
import subprocess
import sys

endpoint, token, root = sys.argv[1:4]


def run(code, **env):
    subprocess.run([sys.executable, "-c", code], env=dict(os.environ, HF_ENDPOINT=endpoint, **env), check=True)


run("from huggingface_hub import snapshot_download; import os; p = snapshot_download('org/tiny');"
    "assert sorted(os.listdir(p)) == ['config.json', 'model.safetensors', 'tokenizer.json'], os.listdir(p)",
    HF_HOME=root + "/runner-home", HF_HUB_OFFLINE="1")
run("from huggingface_hub import hf_hub_download\n"
    "for name in ['config.json', 'tokenizer.json', 'model.safetensors']: hf_hub_download('org/tiny', name)",
    HF_HOME=root + "/python-home", HF_TOKEN=token, HF_HUB_DISABLE_XET="1")
run("from huggingface_hub import HfApi; api = HfApi(); api.create_repo('me/pyup', private=True, exist_ok=True);"
    f"api.upload_folder(folder_path='{root}/upload', repo_id='me/pyup', commit_message='from python')",
    HF_HOME=root + "/python-home", HF_TOKEN=token, HF_HUB_DISABLE_XET="1")
