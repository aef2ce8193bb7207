// Distributions, their releases and the Ubuntu Cloud Archive's pockets: pairs that exist. A lab
// that names a pair that does not (Debian noble, caracal from the Cloud Archive on noble) would
// fail late, in mmdebstrap or in apt on every node; the model refuses it with the key to change.

export type Distro = "debian" | "ubuntu";

/** The releases image.build makes (mmdebstrap with the lab host's keyrings), oldest first. */
export const BUILD_RELEASES: Readonly<Record<Distro, readonly string[]>> = {
  debian: ["bookworm", "trixie"],
  ubuntu: ["jammy", "noble"],
};

/** Release numbers as cloud images name their files (ubuntu-22.04-..., debian-12-...). */
const RELEASE_NUMBERS: Readonly<Record<Distro, Readonly<Record<string, string>>>> = {
  debian: { "11": "bullseye", "12": "bookworm", "13": "trixie" },
  ubuntu: { "20.04": "focal", "22.04": "jammy", "24.04": "noble" },
};

/** The Ubuntu Cloud Archive: the OpenStack releases it backports to each Ubuntu LTS
 * (wiki.ubuntu.com/OpenStack/CloudArchive). An LTS ships the release before these itself. */
export const CLOUD_ARCHIVE: Readonly<Record<string, readonly string[]>> = {
  focal: ["victoria", "wallaby", "xena", "yoga"],
  jammy: ["zed", "antelope", "bobcat", "caracal"],
  noble: ["dalmatian", "epoxy", "flamingo"],
};

/** The OpenStack release an Ubuntu LTS ships in its own archive. */
export const UBUNTU_OPENSTACK: Readonly<Record<string, string>> = { focal: "ussuri", jammy: "yoga", noble: "caracal" };

const title = (distro: Distro) => (distro === "debian" ? "Debian" : "Ubuntu");
const article = (distro: Distro) => (distro === "debian" ? "a Debian" : "an Ubuntu");
const other = (distro: Distro): Distro => (distro === "debian" ? "ubuntu" : "debian");

/** The distribution a release code name belongs to, if it is one this module knows. */
export function distroOf(release: string): Distro | undefined {
  for (const distro of ["debian", "ubuntu"] as const) {
    if (BUILD_RELEASES[distro].includes(release) || Object.values(RELEASE_NUMBERS[distro]).includes(release)) return distro;
  }
  return undefined;
}

/** Why image.build's distro and release are no pair the lab builds, and which key to change:
 * `build` when the release is the other distribution's (either could be the slip), `release`
 * when it is no release the lab builds at all. */
export function buildReleaseProblem(distro: Distro, release: string): { key: "build" | "release"; message: string } | undefined {
  if (BUILD_RELEASES[distro].includes(release)) return undefined;
  const known = BUILD_RELEASES[distro].join(", ");
  if (distroOf(release) === other(distro)) {
    return {
      key: "build",
      message: `${release} is ${article(other(distro))} release, not ${article(distro)} one: give distro: ${other(distro)}, or ${article(distro)} release (${known})`,
    };
  }
  return { key: "release", message: `the lab builds no ${title(distro)} release '${release}': it builds ${known}` };
}

/** The distribution and release of the lab's image, when the config says it: image.build, or a
 * cloud image's URL (…/releases/jammy/…, ubuntu-24.04-server-cloudimg…, debian-12-generic…). An
 * image file on the lab host says nothing. */
export function imageRelease(image: { build?: { distro: Distro; release: string }; url?: string }): { distro: Distro; release: string } | undefined {
  if (image.build !== undefined) return { distro: image.build.distro, release: image.build.release };
  if (image.url === undefined) return undefined;
  const segments = new URL(image.url).pathname.split("/");
  for (const distro of ["ubuntu", "debian"] as const) {
    const codenames = new Set([...BUILD_RELEASES[distro], ...Object.values(RELEASE_NUMBERS[distro])]);
    const named = segments.find((s) => codenames.has(s));
    if (named !== undefined) return { distro, release: named };
    const file = segments.at(-1) ?? "";
    const numbered = new RegExp(`^${distro}-(\\d+(?:\\.\\d+)?)-`).exec(file)?.[1];
    const release = numbered === undefined ? undefined : RELEASE_NUMBERS[distro][numbered];
    if (release !== undefined) return { distro, release };
  }
  return undefined;
}

/** Why the Cloud Archive pocket `uca` cannot serve nodes of `image` (undefined: it can, or the
 * image's release is not known). base-setup.sh adds `<release>-updates/<uca>` on Ubuntu only. */
export function cloudArchiveProblem(uca: string, image: { distro: Distro; release: string } | undefined): string | undefined {
  const all = [...new Set(Object.values(CLOUD_ARCHIVE).flat())];
  if (!all.includes(uca) && !Object.values(UBUNTU_OPENSTACK).includes(uca)) {
    return `the Ubuntu Cloud Archive has no OpenStack release '${uca}' (it has ${all.join(", ")})`;
  }
  if (image === undefined) return undefined;
  if (image.distro === "debian") {
    return `the Ubuntu Cloud Archive is for Ubuntu nodes and the image is Debian ${image.release}: remove cloudArchive (Debian's own OpenStack packages are used)`;
  }
  const pockets = CLOUD_ARCHIVE[image.release];
  if (pockets === undefined || pockets.includes(uca)) return undefined;
  if (UBUNTU_OPENSTACK[image.release] === uca) {
    return `Ubuntu ${image.release} ships OpenStack ${uca} itself and the Cloud Archive has no ${image.release}-updates/${uca}: remove cloudArchive, or pick one of ${pockets.join(", ")}`;
  }
  const home = Object.keys(CLOUD_ARCHIVE).find((release) => CLOUD_ARCHIVE[release].includes(uca));
  return `the Cloud Archive has no ${uca} for Ubuntu ${image.release}${home === undefined ? "" : ` (${uca} is for ${home})`}: pick one of ${pockets.join(", ")}, or an image of ${home ?? "another release"}`;
}
