//! `taken(label)` and `taken(scene.label)`: which declared label a call
//! names, with the errors for one it cannot (E0121, E0122).

use super::Lowering;
use crate::ast::{self, ExprKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::SceneId;

impl Lowering<'_> {
    /// The label `taken(label)` or `taken(scene.label)` names, as its index
    /// in the declared labels. A bare label is one of the scene being
    /// lowered; in another scene (or in an invariant or a test) it must
    /// name its scene.
    pub(super) fn label_argument(&mut self, arg: &ast::Expr) -> Option<u32> {
        let ExprKind::Name(name) = &arg.kind else {
            self.report(
                Diagnostic::new(Code::E0106, arg.span, "`taken` takes a choice's label").with_help(
                    "write `taken(label)` in the label's scene, `taken(scene.label)` anywhere",
                ),
            );
            return None;
        };
        let names = self.names;
        let (scene, label) = match name.split_once('.') {
            Some((scene_name, label)) => {
                let Some(scene) = names.scene_ids.get(scene_name) else {
                    let scenes = names.scene_ids.keys();
                    let help = match self.names.suggest(scene_name, scenes) {
                        Some(best) => format!("did you mean `{best}.{label}`?"),
                        None => self.suggest_scene(scene_name, false),
                    };
                    self.report(
                        Diagnostic::new(
                            Code::E0121,
                            arg.span,
                            format!(
                                "unknown choice label `{name}`: there is no scene `{scene_name}`"
                            ),
                        )
                        .with_help(help),
                    );
                    return None;
                };
                (Some(scene), label)
            }
            None => (self.scene_now, name.as_str()),
        };
        if let Some(scene) = scene
            && let Some(&id) = names.label_ids.get(&(scene, label.to_string()))
        {
            return Some(id);
        }
        let qualified = |(scene, ident): &(SceneId, ast::Ident)| {
            let scene_name = names.scene_ids.name(*scene);
            (
                format!("{scene_name}.{}", ident.name),
                ident.name.clone(),
                *scene,
            )
        };
        // A bare label of another scene: it needs its scene's name.
        if !name.contains('.') {
            let elsewhere: Vec<String> = names
                .labels
                .iter()
                .filter(|(_, ident)| ident.name == label)
                .map(|entry| qualified(entry).0)
                .collect();
            if !elsewhere.is_empty() {
                let place = if self.scene_now.is_some() {
                    "this scene has no choice labelled"
                } else {
                    "outside a scene, a label needs its scene:"
                };
                self.report(
                    Diagnostic::new(
                        Code::E0122,
                        arg.span,
                        format!("{place} `{label}`"),
                    )
                    .with_help(format!(
                        "a bare label names a choice of the scene it is written in; write `taken({})`",
                        elsewhere.join(")` or `taken(")
                    )),
                );
                return None;
            }
        }
        // Unknown: suggest the closest label of that scene, else any label.
        let all: Vec<(String, String, SceneId)> = names.labels.iter().map(qualified).collect();
        let same_scene = all
            .iter()
            .filter(|(_, _, found)| Some(*found) == scene)
            .map(|(_, bare, _)| bare.as_str());
        let help = match self.names.suggest(label, same_scene) {
            Some(best) if name.contains('.') => {
                let scene_name = name.split_once('.').map_or("", |(scene, _)| scene);
                format!("did you mean `{scene_name}.{best}`?")
            }
            Some(best) => format!("did you mean `{best}`?"),
            None => match self
                .names
                .suggest(name, all.iter().map(|(full, _, _)| full.as_str()))
            {
                Some(best) => format!("did you mean `{best}`?"),
                None => "name a choice with `* (label) Text`, then read it with `taken(label)`"
                    .to_string(),
            },
        };
        self.report(
            Diagnostic::new(
                Code::E0121,
                arg.span,
                format!("no choice is labelled `{name}`"),
            )
            .with_help(help),
        );
        None
    }
}
