/**
 * Published checkpoints recognised by their sha256, shown as "official file". Only values read from
 * the publisher's own pages are listed (Hugging Face shows each LFS file's SHA256 on its page); none
 * was invented. Not found: the Zenodo record 10908163 files (DinoBloom-S/B/L/G.pth; Zenodo publishes
 * MD5 only) and Hugging Face MarrLab/DinoBloom pytorch_model_{s,b}.bin — those files convert just the
 * same, they are only not marked "official". Add a value here only from its publisher's page.
 */
export interface OfficialCheckpoint {
  sha256: string;
  /** what it is, as shown to the user */
  label: string;
  size: 'S' | 'B' | 'L' | 'G';
  /** where the checksum was published */
  source: string;
}

export const OFFICIAL_CHECKPOINTS: readonly OfficialCheckpoint[] = [
  {
    sha256: 'a7aa4f35e0fdc34c1ce25962db2511df895a96201f2cebe19dd3b3539ab93b26',
    label: 'DinoBloom-S, timm port 1aurent/vit_small_patch14_224.dinobloom (model.safetensors)',
    size: 'S',
    source: 'https://huggingface.co/1aurent/vit_small_patch14_224.dinobloom/blob/main/model.safetensors',
  },
  {
    sha256: '37d7c42f6ac8adea355b6cbf4d2a74c5c8de6d292fed909be793328572106334',
    label: 'DinoBloom-B, timm port 1aurent/vit_base_patch14_224.dinobloom (model.safetensors)',
    size: 'B',
    source: 'https://huggingface.co/1aurent/vit_base_patch14_224.dinobloom/blob/main/model.safetensors',
  },
  {
    sha256: '6e224b1cc9cab7d2fcdef7d416960df98244fd807b2ad86e53da5d2d1a06d6bc',
    label: 'DinoBloom-L, timm port 1aurent/vit_large_patch14_224.dinobloom (model.safetensors)',
    size: 'L',
    source: 'https://huggingface.co/1aurent/vit_large_patch14_224.dinobloom/blob/a22385b992c79d1abc7cdaeca770ddd2393f0d93/model.safetensors',
  },
];

export function officialCheckpoint(sha256: string): OfficialCheckpoint | undefined {
  return OFFICIAL_CHECKPOINTS.find((c) => c.sha256 === sha256.toLowerCase());
}
